//! What a proof costs: wrapping/unwrapping a key (each login and unlock), signing (each saved
//! change on the laptop) and verifying (each pushed operation on the server).
//! `cargo bench -p loket-keys --bench keys`

use std::time::Instant;

use loket_keys::{verify, verify_all, UserKey};

fn per_op(label: &str, n: u32, mut f: impl FnMut()) {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    let each = start.elapsed() / n;
    println!("{label:<28} {:>10.1} µs", each.as_secs_f64() * 1e6);
}

fn main() {
    let key = UserKey::generate();
    let wrapped = key.wrap("kata-sandi-panjang");
    per_op("wrap (argon2id 64 MiB)", 5, || drop(key.wrap("kata-sandi-panjang")));
    per_op("unwrap (login, unlock)", 5, || drop(UserKey::unwrap(&wrapped, "kata-sandi-panjang").unwrap()));
    let message = vec![b'x'; 900];
    per_op("sign (900-byte operation)", 20_000, || drop(key.sign(&message)));
    let sig = key.sign(&message);
    let public = key.public_key();
    per_op("verify (900-byte operation)", 20_000, || assert!(verify(&public, &message, &sig)));
    // Pushes of 500 and of 20 operations by one user, as the server checks them.
    for n in [500usize, 20] {
        let messages: Vec<Vec<u8>> = (0..n).map(|i| format!("{i:0>900}").into_bytes()).collect();
        let sigs: Vec<String> = messages.iter().map(|m| key.sign(m)).collect();
        let items: Vec<(&str, &[u8], &str)> =
            messages.iter().zip(&sigs).map(|(m, s)| (public.as_str(), m.as_slice(), s.as_str())).collect();
        let rounds = 20_000 / n as u32;
        let start = Instant::now();
        for _ in 0..rounds {
            assert!(verify_all(&items).iter().all(|ok| *ok));
        }
        let each = start.elapsed() / (rounds * n as u32);
        println!("{:<28} {:>10.1} µs", format!("verify_all, {n} per push"), each.as_secs_f64() * 1e6);
    }
}

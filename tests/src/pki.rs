//! Certificates made by the tests: a CA standing in for the province's, and a server
//! certificate for 127.0.0.1 and localhost signed by it. No key material is committed.

use std::path::{Path, PathBuf};

use anyhow::Result;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// PEM files of a test CA and a server certificate it signed.
pub struct TestPki {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Make a CA named `ca_name` and a server certificate in `dir`.
pub fn make(dir: &Path, ca_name: &str) -> Result<TestPki> {
    std::fs::create_dir_all(dir)?;
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, ca_name);
    let ca = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate()?;
    let mut server_params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])?;
    server_params.distinguished_name.push(DnType::CommonName, "loket.test");
    let server = server_params.signed_by(&server_key, &issuer)?;
    let pki = TestPki { ca: dir.join("ca.pem"), cert: dir.join("server.pem"), key: dir.join("server.key") };
    std::fs::write(&pki.ca, ca.pem())?;
    std::fs::write(&pki.cert, server.pem())?;
    std::fs::write(&pki.key, server_key.serialize_pem())?;
    Ok(pki)
}

import { describe, expect, it } from "vitest";
import type { ErrorDto, FieldIssueDto } from "./bindings";
import { FormState } from "./form.svelte";

const warning: FieldIssueDto = { field: "nik", code: "nik.region_unknown", message: "x", severity: "warning" };
const failed = (error: ErrorDto) => async () => ({ status: "error" as const, error });

describe("FormState", () => {
  it("puts validation issues on their fields and waits for warnings to be confirmed", async () => {
    const form = new FormState();
    const ok = await form.save(failed({ code: "needs_confirmation", message: "m", issues: [warning] }), () => {});
    expect(ok).toBe(false);
    expect(form.byField.nik).toEqual([warning]);
    expect(form.warningsOnly).toBe(true);
    expect(form.blocked).toBe(true);
    form.confirmWarnings = true;
    expect(form.blocked).toBe(false);
    expect(form.error).toBeNull();
  });

  it("shows any other error in the banner and clears the fields", async () => {
    const form = new FormState();
    form.refuse([warning]);
    await form.save(failed({ code: "login_required", message: "Masuk dulu.", issues: [] }), () => {});
    expect(form.error).toBe("Masuk dulu.");
    expect(form.issues).toEqual([]);
  });

  it("hands a saved result over and starts clean", async () => {
    const form = new FormState();
    form.refuse([warning]);
    let saved = 0;
    expect(await form.save(async () => ({ status: "ok" as const, data: 7 }), (n) => (saved = n))).toBe(true);
    expect(saved).toBe(7);
    expect(form.issues).toEqual([]);
    expect(form.saving).toBe(false);
  });
});

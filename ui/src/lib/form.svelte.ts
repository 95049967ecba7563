// The state every registration and staff form shares: the issues of its last save grouped by
// field, the banner error, the saving flag and the clerk's confirmation of warnings. One save
// path: validation issues land on their fields, anything else in the banner.

import type { ErrorDto, FieldIssueDto } from "./bindings";
import { issuesByField, onlyWarnings } from "./forms";
import { labels } from "./i18n.svelte";

type Outcome<T> = { status: "ok"; data: T } | { status: "error"; error: ErrorDto };

export class FormState {
  issues = $state<FieldIssueDto[]>([]);
  error = $state<string | null>(null);
  saving = $state(false);
  confirmWarnings = $state(false);
  byField = $derived(issuesByField(this.issues));
  warningsOnly = $derived(onlyWarnings(this.issues));

  /** Saving is refused while a save runs, or while warnings wait for the clerk's confirmation. */
  get blocked(): boolean {
    return this.saving || (this.warningsOnly && !this.confirmWarnings);
  }

  /** Issues found before anything is sent (a number that is not a number). */
  refuse(issues: FieldIssueDto[]): void {
    this.issues = issues;
    this.error = null;
  }

  /** Run one save; `saved` gets the result when it succeeds. Returns whether it did. */
  async save<T>(run: () => Promise<Outcome<T>>, saved: (data: T) => void): Promise<boolean> {
    if (this.saving) return false;
    this.saving = true;
    this.error = null;
    const result = await run();
    this.saving = false;
    this.confirmWarnings = false;
    if (result.status === "ok") {
      this.issues = [];
      saved(result.data);
      return true;
    }
    const { code, issues } = result.error;
    if (code === "validation" || code === "needs_confirmation") {
      this.issues = issues;
    } else {
      this.issues = [];
      this.error = labels.error(result.error);
    }
    return false;
  }
}

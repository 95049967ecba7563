// The catalogue in use, switched in Settings: every component reads `labels` and re-renders
// when the language changes. The choice is the laptop's, kept in its store.
import { commands, type Language } from "./bindings";
import { EN, ID, type Labels } from "./labels";

export const labels: Labels = $state({ ...ID });

export const language = $state<{ current: Language }>({ current: "id" });

function apply(l: Language) {
  Object.assign(labels, l === "en" ? EN : ID);
  language.current = l;
  document.documentElement.lang = l;
}

/** Switch the window's language and remember it. */
export async function setLanguage(l: Language) {
  apply(l);
  await commands.setLanguage(l);
}

/** The language chosen last on this laptop. */
export async function restoreLanguage() {
  const r = await commands.language();
  if (r.status === "ok") apply(r.data);
}

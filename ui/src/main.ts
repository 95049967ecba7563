import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { restoreLanguage } from "./lib/i18n.svelte";

void restoreLanguage();

const target = document.getElementById("app");
if (!target) throw new Error("missing #app");
export default mount(App, { target });

/** Driving VS Code's workbench in the browser: commands, files, the chat view. */

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { FrameLocator, Locator, Page } from "playwright-core";

export class Workbench {
  private shot = 0;

  constructor(
    readonly page: Page,
    private readonly artifacts: string,
  ) {
    mkdirSync(artifacts, { recursive: true });
  }

  async open(url: string, folder: string): Promise<void> {
    await this.page.goto(`${url}/?folder=${encodeURIComponent(folder)}`);
    await this.waitReady();
  }

  async waitReady(): Promise<void> {
    await this.page.waitForSelector(".monaco-workbench .part.statusbar", { timeout: 60_000 });
  }

  /** "Developer: Reload Window", and the new page ready. */
  async reloadWindow(): Promise<void> {
    const main = this.page.mainFrame();
    const navigated = this.page.waitForEvent("framenavigated", { predicate: (frame) => frame === main, timeout: 30_000 });
    await this.command("Developer: Reload Window");
    await navigated;
    await this.waitReady();
  }

  /** Runs a command by its title from the command palette. */
  async command(title: string): Promise<void> {
    await this.page.keyboard.press("F1");
    const input = this.page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor({ state: "visible" });
    await input.fill(`>${title}`);
    const row = this.page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
    await row.waitFor({ state: "visible" });
    await row.click();
  }

  /** Opens a workspace file through Go to File. */
  async openFile(name: string): Promise<void> {
    await this.command("Go to File...");
    const input = this.page.locator(".quick-input-widget .quick-input-box input");
    await input.fill(name);
    const row = this.page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first();
    await row.waitFor({ state: "visible" });
    await this.page.keyboard.press("Enter");
    await this.page.locator(`.tab.active[aria-label*="${name}"]`).first().waitFor();
    await this.editor().click();
  }

  /** The input box a command opened, once its title shows (not the palette it replaced). */
  async inputBox(title: string): Promise<Locator> {
    const widget = this.page.locator(".quick-input-widget", { has: this.page.locator(".quick-input-title", { hasText: title }) });
    await widget.waitFor({ state: "visible" });
    return widget.locator(".quick-input-box input");
  }

  editor(): Locator {
    return this.page.locator(".editor-group-container.active .monaco-editor .view-lines").first();
  }

  statusItem(): Locator {
    return this.page.locator(".statusbar-item", { hasText: "Tandem:" }).first();
  }

  async waitStatus(pattern: RegExp, timeout = 30_000): Promise<string> {
    const item = this.statusItem();
    await item.waitFor({ timeout });
    const deadline = Date.now() + timeout;
    for (;;) {
      // textContent fails while the page navigates (a reload): try again
      const text = (await item.textContent({ timeout: 5_000 }).catch(() => "")) ?? "";
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`status bar is "${text}", expected ${String(pattern)}`);
      await this.page.waitForTimeout(100);
    }
  }

  /** The chat view's document (inside the webview's two iframes). */
  chat(): FrameLocator {
    return this.page.frameLocator('iframe[src*="extensionId=tandem.tandem-vscode"]').frameLocator("iframe#active-frame");
  }

  async ask(prompt: string): Promise<void> {
    const input = this.chat().locator("#prompt");
    await input.click();
    await input.fill(prompt);
    await input.press("Enter");
  }

  turns(): Locator {
    return this.chat().locator(".turn");
  }

  /** Clicks a button of the modal dialog. */
  async dialogButton(label: string): Promise<void> {
    await this.page.locator(".monaco-dialog-box .dialog-buttons a, .monaco-dialog-box .dialog-buttons button", { hasText: label }).first().click();
  }

  async screenshot(name: string): Promise<void> {
    this.shot += 1;
    const file = join(this.artifacts, `${String(this.shot).padStart(2, "0")}-${name}.png`);
    await this.page.screenshot({ path: file });
  }
}

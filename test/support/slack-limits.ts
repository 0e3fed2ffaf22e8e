// Asserts a Slack message stays inside Block Kit's limits (what Slack would reject with a 400).
import { expect } from "vitest";

type Obj = Record<string, unknown>;

export function expectWithinSlackLimits(message: Obj): void {
  expect(typeof message.text).toBe("string");
  expect((message.text as string).length).toBeLessThanOrEqual(40_000);
  const attachments = (message.attachments ?? []) as Obj[];
  const blocks = [
    ...((message.blocks ?? []) as Obj[]),
    ...attachments.flatMap((a) => (a.blocks ?? []) as Obj[]),
  ];
  expect(blocks.length).toBeLessThanOrEqual(50);
  for (const block of blocks) {
    const text = block.text as Obj | undefined;
    if (block.type === "header") {
      expect(text?.type).toBe("plain_text");
      expect(Array.from(text?.text as string).length).toBeLessThanOrEqual(150);
    }
    if (block.type === "section") {
      if (text) expect(Array.from(text.text as string).length).toBeLessThanOrEqual(3000);
      const fields = (block.fields ?? []) as Obj[];
      expect(fields.length).toBeLessThanOrEqual(10);
      for (const f of fields) expect(Array.from(f.text as string).length).toBeLessThanOrEqual(2000);
      expect(text !== undefined || fields.length > 0).toBe(true);
    }
    if (block.type === "context") {
      const elements = block.elements as Obj[];
      expect(elements.length).toBeGreaterThan(0);
      expect(elements.length).toBeLessThanOrEqual(10);
    }
  }
}

/** All mrkdwn/plain text in a message's blocks, joined, for "does it mention X" checks. */
export function blockText(message: Obj): string {
  const attachments = (message.attachments ?? []) as Obj[];
  const blocks = attachments.flatMap((a) => (a.blocks ?? []) as Obj[]);
  const parts: string[] = [];
  for (const b of blocks) {
    if (b.text) parts.push((b.text as Obj).text as string);
    for (const f of (b.fields ?? []) as Obj[]) parts.push(f.text as string);
    for (const e of (b.elements ?? []) as Obj[]) parts.push(e.text as string);
  }
  return parts.join("\n");
}

/** A webhook message's parts, as the payload tests read them. */
export const attachment = (m: Obj) => (m.attachments as Obj[])[0] as Obj;
export const blocks = (m: Obj) => attachment(m).blocks as Obj[];
export const headerText = (m: Obj) => ((blocks(m)[0] as Obj).text as Obj).text as string;
export const fields = (m: Obj) =>
  ((blocks(m).find((b) => b.fields) as Obj).fields as Obj[]).map((f) => f.text as string);

/** Export `items` and wait until the exporter's queue has delivered them: the bodies Slack got. */
export async function delivered(
  exporter: { export(items: never[]): Promise<void> },
  slack: { readonly requests: readonly { body: Obj }[] },
  items: readonly unknown[],
): Promise<Obj[]> {
  const before = slack.requests.length;
  await exporter.export(items as never[]);
  await (exporter as unknown as { queue: { whenIdle(): Promise<void> } }).queue.whenIdle();
  return slack.requests.slice(before).map((r) => r.body);
}

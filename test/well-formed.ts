import { expect } from "vitest";

/**
 * A small XML well-formedness check: one root, every tag closed in order,
 * attributes quoted and unique, no stray `<` or `&` in text or attribute values.
 */
export function checkWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "");
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  const checkText = (t: string) => {
    expect(t).not.toMatch(/[<>]/);
    expect(t.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, "")).not.toMatch(/&/);
  };
  while (i < body.length) {
    const open = body.indexOf("<", i);
    if (open < 0) {
      checkText(body.slice(i));
      break;
    }
    checkText(body.slice(i, open));
    const close = body.indexOf(">", open);
    expect(close).toBeGreaterThan(open);
    const tag = body.slice(open + 1, close);
    i = close + 1;
    if (tag.startsWith("/")) {
      expect(stack.pop()).toBe(tag.slice(1).trim());
      continue;
    }
    const m = /^([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)$/.exec(tag);
    expect(m, `malformed tag <${tag}>`).not.toBeNull();
    const names = [...m![2].matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => {
      checkText(a[2]);
      return a[1];
    });
    expect(new Set(names).size).toBe(names.length);
    if (stack.length === 0) roots++;
    if (m![3] !== "/") stack.push(m![1]);
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
}

/**
 * The process a model's chat template is rendered in (template-bound.ts), started with a small V8
 * heap (--max-old-space-size): a template that allocates past it ends this process, V8's fatal
 * out-of-memory included, never the service. Only @huggingface/jinja (node-llama-cpp's renderer) is
 * loaded, so the file runs as it is (Node strips its types) and bundles alone (package.ts:
 * dist/template-child.mjs).
 *
 * Frames on stdin and stdout: a 4-byte little-endian length, then JSON. In: { id, template, items,
 * cap }; out: { ready } once (this process can render now), then { id, text } or { id, error } or
 * { id, tooLong } (more than `cap` characters).
 */
import { Template } from '@huggingface/jinja';

let parsed: { source: string; template: Template } | undefined;
let buf = Buffer.alloc(0);

function answer(a: object): void {
  const body = Buffer.from(JSON.stringify(a));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  process.stdout.write(Buffer.concat([head, body]));
}

process.stdin.on('data', (d: Buffer) => {
  buf = Buffer.concat([buf, d]);
  while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32LE(0)) {
    const n = buf.readUInt32LE(0);
    const { id, template, items, cap } = JSON.parse(buf.subarray(4, 4 + n).toString('utf8'));
    buf = buf.subarray(4 + n);
    try {
      const t = parsed && parsed.source === template ? parsed.template : new Template(template);
      parsed = { source: template, template: t };
      const text = t.render(items);
      answer(text.length > cap ? { id, tooLong: text.length } : { id, text });
    } catch (err) {
      answer({ id, error: err instanceof Error ? err.message : String(err) });
    }
  }
});
process.stdin.on('end', () => process.exit(0));
answer({ ready: true });

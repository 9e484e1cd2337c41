// The rag bench's corpus (scripts/bench/rag.mjs): PDFs on clearly different topics and questions on
// them, deterministic (a seeded generator), so every run and every way indexes the same text.
import { PDFDocument, StandardFonts } from 'pdf-lib';

const TOPICS = {
  volcano: 'volcano lava magma eruption ash crater mountain molten rock gas',
  bread: 'bread dough flour yeast oven bake loaf knead crust kitchen',
  football: 'football goal team match stadium striker referee ball fans coach',
  markets: 'stock market shares investors bank interest rates bonds economy prices',
  astronomy: 'planet star telescope galaxy orbit moon comet astronomer sky night',
  garden: 'garden soil seeds plants flowers compost water roots leaves spring',
  sailing: 'boat sail wind harbour sea waves crew mast anchor ocean',
  medicine: 'doctor patient hospital medicine disease nurse treatment fever vaccine pain',
};
const GLUE = 'the a of and in to with for on when'.split(' ');
function sentence(words, seed) {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  return Array.from({ length: 12 }, (_, i) =>
    i % 3 === 1 ? GLUE[Math.floor(rnd() * GLUE.length)] : words[Math.floor(rnd() * words.length)],
  ).join(' ');
}
async function pdfOf(words, seed, pages) {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let p = 0; p < pages; p++) {
    const page = doc.addPage([595, 842]);
    for (let l = 0; l < 40; l++)
      page.drawText(sentence(words, seed + p * 100 + l), { x: 40, y: 800 - l * 19, size: 10, font });
  }
  return Buffer.from(await doc.save());
}
/** `docs` PDFs of `pages` pages, one topic each, and `n` queries taking the topics in turn. */
export async function makeCorpus(docs, pages, n) {
  const topics = Object.entries(TOPICS).slice(0, docs);
  const corpus = await Promise.all(
    topics.map(async ([name, list], i) => ({
      source: `${name}.pdf`,
      bytes: await pdfOf(list.split(' '), i * 7919 + 1, pages),
    })),
  );
  const queries = Array.from({ length: n }, (_, i) => {
    const [, list] = topics[i % topics.length];
    return sentence(list.split(' '), 5000 + i);
  });
  return { corpus, queries };
}

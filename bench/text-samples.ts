/**
 * Seeded generators of the kinds of text a prompt can hold, from prose to the dense text that tokenizes worst (base64,
 * hex, digit lists, punctuation runs, rare Han characters, emoji). The bench measures the token estimate and bound on
 * them; the tests check the bound on them. Same seed, same text.
 */

import { seededRandom } from '../packages/local/src/bedrock-simulator/random';

type Random = () => number;

const int = (random: Random, below: number) => Math.floor(random() * below);
const pick = <T>(random: Random, items: ReadonlyArray<T>): T => items[int(random, items.length)];

/** English prose: documentation-style paragraphs, as prompts and retrieved context usually are. */
export const ENGLISH_PROSE = [
  'Generative AI workloads are billed by the token, and a single careless request can cost more than a day of normal traffic. ' +
    'The cost controls in this library decide before the model is called: they estimate the size of the prompt, compare it with ' +
    'the limits of the feature, and refuse what would be too expensive, with a message that tells the caller what to shorten.',
  'When a team adopts a new model, the first questions are always the same. How much will it cost per month, which features ' +
    'drive the bill, and what happens when a tenant sends far more traffic than planned? Tags answer the first two questions; ' +
    'budgets, quotas and circuit breakers answer the third, before the invoice does.',
  'Prompt caching pays off when the same long prefix is sent again within a few minutes. The system prompt and the retrieved ' +
    'documents usually form that prefix, so the pipeline places a cache point after them, provided the prefix is long enough ' +
    "for the model's minimum. Shorter prefixes are sent without one, because writing a cache entry costs more than reading it.",
  'Each request is recorded once, with the model that answered, the tokens it used and what they cost. The record is written ' +
    'after the answer is known, and it carries an idempotency key, so that a retried delivery of the same event is never ' +
    'charged twice. Reports read these records; nothing else in the system needs to know the price of a token.',
  'Routing by complexity sends short, simple questions to a small model and keeps the large one for requests that need it. ' +
    'The rules are deliberately plain: the length of the message, a few keywords that signal analysis or code, and a hint the ' +
    "caller may give. They are easy to test, and it's easy to explain to a customer why a request went where it went.",
  'Operators need to see spending as it happens, not at the end of the month. Metrics are published per application, feature ' +
    'and model, with a dashboard that puts cost next to latency and errors, and alarms that fire when a budget is close. ' +
    'Tenant and user identifiers are kept out of metric dimensions, since every combination of dimensions is billed.',
];

/** Prose in other languages, accents and scripts included. */
export const WORLD_PROSE: Readonly<Record<string, string>> = {
  french:
    "Les modèles génératifs sont facturés au jeton : une requête mal dimensionnée peut coûter plus qu'une journée de trafic. " +
    "Avant d'appeler le modèle, le pipeline estime la taille de l'invite, la compare aux limites de la fonctionnalité et " +
    'refuse ce qui serait trop cher, avec un message qui explique à l’appelant ce qu’il doit raccourcir. Ça évite les mauvaises surprises.',
  german:
    'Generative Modelle werden pro Token abgerechnet, und eine unüberlegte Anfrage kann mehr kosten als ein ganzer Tag normaler ' +
    'Last. Bevor das Modell aufgerufen wird, schätzt die Pipeline die Größe der Eingabe, vergleicht sie mit den Grenzen der ' +
    'Funktion und lehnt ab, was zu teuer wäre. Übergroße Kontexte müssen gekürzt werden; Änderungen an Schwellenwerten prüft das Team.',
  spanish:
    'Los modelos generativos se facturan por token, y una petición descuidada puede costar más que un día entero de tráfico. ' +
    'Antes de llamar al modelo, la canalización estima el tamaño de la instrucción, la compara con los límites de la función ' +
    'y rechaza lo que sería demasiado caro. ¿Por qué? Porque la factura llega después, y entonces ya es tarde para corregir el diseño.',
  russian:
    'Генеративные модели тарифицируются по токенам, и один неосторожный запрос может стоить больше, чем целый день обычной ' +
    'нагрузки. Прежде чем вызвать модель, конвейер оценивает размер запроса, сравнивает его с ограничениями функции и ' +
    'отклоняет то, что обошлось бы слишком дорого, объясняя, что именно нужно сократить.',
  arabic:
    'تُحتسب تكلفة النماذج التوليدية بحسب عدد الرموز، وقد يكلّف طلب واحد غير مدروس أكثر من يوم كامل من الاستخدام العادي. ' +
    'قبل استدعاء النموذج، يقدّر خط المعالجة حجم الطلب ويقارنه بحدود الميزة، ويرفض ما قد يكون مكلفًا للغاية مع رسالة توضح ما يجب اختصاره.',
  hindi:
    'जनरेटिव मॉडल का बिल टोकन के हिसाब से बनता है, और एक लापरवाह अनुरोध सामान्य ट्रैफ़िक के पूरे दिन से ज़्यादा महंगा पड़ सकता है। ' +
    'मॉडल को बुलाने से पहले पाइपलाइन प्रॉम्प्ट के आकार का अनुमान लगाती है, उसे फ़ीचर की सीमाओं से मिलाती है और जो बहुत महंगा हो उसे मना कर देती है।',
  japanese:
    '生成モデルはトークン単位で課金されるため、不注意なリクエスト一つで通常の一日分の利用料を超えることがあります。' +
    'モデルを呼び出す前に、パイプラインはプロンプトの大きさを見積もり、機能ごとの上限と比べ、高すぎるものは理由を添えて拒否します。',
  chinese:
    '生成式模型按令牌计费，一个不谨慎的请求可能比一整天的正常流量还要贵。在调用模型之前，流水线会估算提示的大小，' +
    '与功能的限制进行比较，并拒绝过于昂贵的请求，同时说明需要缩短哪些内容。',
};

function slice(random: Random, text: string, minChars: number): string {
  const start = int(random, Math.max(1, text.length - minChars));
  const end = Math.min(text.length, start + minChars + int(random, text.length));
  return [...text].slice(start, end).join(''); // by code point: no half surrogate pairs
}

function proseOf(random: Random, paragraphs: ReadonlyArray<string>, chars: number): string {
  let out = '';
  while (out.length < chars) out += (out ? (random() < 0.3 ? '\n\n' : ' ') : '') + pick(random, paragraphs);
  return out.slice(0, chars);
}

function identifier(random: Random): string {
  const words = ['cost', 'token', 'limit', 'request', 'model', 'budget', 'tenant', 'cache', 'price', 'usage', 'route', 'record'];
  const n = 1 + int(random, 3);
  let out = pick(random, words);
  for (let i = 1; i < n; i++) {
    const w = pick(random, words);
    out += w[0].toUpperCase() + w.slice(1);
  }
  return out;
}

function code(random: Random, chars: number): string {
  const lines: string[] = [];
  let indent = 0;
  let length = 0;
  while (length < chars) {
    const pad = '  '.repeat(indent);
    const a = identifier(random);
    const b = identifier(random);
    const templates = [
      `${pad}const ${a} = ${b}.${identifier(random)}(${int(random, 1000)}, '${identifier(random)}');`,
      `${pad}if (${a} > ${b} && !${identifier(random)}) {`,
      `${pad}return { ${a}: ${b}, total: ${a} + ${int(random, 100)} };`,
      `${pad}// ${pick(random, ENGLISH_PROSE).slice(0, 40 + int(random, 40))}`,
      `${pad}export function ${a}(${b}: number, options: Record<string, unknown> = {}): Promise<void> {`,
      `${pad}for (let i = 0; i < ${b}.length; i++) ${a}[i] = Math.max(${b}[i] ?? 0, 0x${int(random, 65536).toString(16)});`,
      `${pad}}`,
    ];
    const line = pick(random, templates);
    if (line.endsWith('{')) indent = Math.min(indent + 1, 6);
    if (line.trim() === '}') indent = Math.max(indent - 1, 0);
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n').slice(0, chars);
}

function jsonValue(random: Random, depth: number): unknown {
  const r = random();
  if (depth > 3 || r < 0.3) return int(random, 100000) / (random() < 0.5 ? 1 : 100);
  if (r < 0.55) return identifier(random) + (random() < 0.3 ? ` ${pick(random, ENGLISH_PROSE).slice(0, 30)}` : '');
  if (r < 0.6) return random() < 0.5;
  if (r < 0.75) return Array.from({ length: 1 + int(random, 5) }, () => jsonValue(random, depth + 1));
  const obj: Record<string, unknown> = {};
  for (let i = 0, n = 1 + int(random, 5); i < n; i++) obj[identifier(random)] = jsonValue(random, depth + 1);
  return obj;
}

function json(random: Random, chars: number): string {
  const items: unknown[] = [];
  let text = '[]';
  while (text.length < chars) {
    items.push(jsonValue(random, 0));
    text = JSON.stringify(items, null, random() < 0.5 ? 2 : undefined);
  }
  return text;
}

function bytes(random: Random, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = int(random, 256);
  return out;
}

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

function fromAlphabet(random: Random, alphabet: string, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) out += alphabet[int(random, alphabet.length)];
  return out;
}

function digitList(random: Random, chars: number): string {
  let out = '';
  const sep = pick(random, [', ', ',', ' ', '\n', '; ', '']);
  while (out.length < chars) out += (out ? sep : '') + String(int(random, 10 ** (1 + int(random, 9))));
  return out;
}

function codePoints(random: Random, chars: number, ranges: ReadonlyArray<readonly [number, number]>): string {
  let out = '';
  while (out.length < chars) {
    const [lo, hi] = pick(random, ranges);
    out += String.fromCodePoint(lo + int(random, hi - lo + 1));
  }
  return out;
}

const COMMON_CJK: ReadonlyArray<readonly [number, number]> = [[0x4e00, 0x9fff], [0x3040, 0x309f], [0x30a0, 0x30ff], [0xac00, 0xd7a3]];
const RARE_HAN: ReadonlyArray<readonly [number, number]> = [[0x20000, 0x2a6df], [0x2a700, 0x2b73f], [0x3400, 0x4dbf], [0x30000, 0x3134f]];
const EMOJI_BASES = [0x1f600, 0x1f64f, 0x1f300, 0x1f5ff, 0x1f680, 0x1f6ff, 0x1f900, 0x1f9ff] as const;

function emoji(random: Random, chars: number): string {
  let out = '';
  while (out.length < chars) {
    const r = random();
    const pair = int(random, EMOJI_BASES.length / 2) * 2;
    const base = String.fromCodePoint(EMOJI_BASES[pair] + int(random, EMOJI_BASES[pair + 1] - EMOJI_BASES[pair] + 1));
    if (r < 0.4) out += base;
    else if (r < 0.6) out += base + String.fromCodePoint(0x1f3fb + int(random, 5)); // skin tone
    else if (r < 0.8) out += [base, base, base].join('\u200d') + (random() < 0.5 ? '\ufe0f' : ''); // ZWJ sequence
    else if (r < 0.9) out += String.fromCodePoint(0x1f1e6 + int(random, 26), 0x1f1e6 + int(random, 26)); // flag
    else out += '👩‍👩‍👧‍👦';
    if (random() < 0.2) out += ' ';
  }
  return out;
}

function randomUnicode(random: Random, chars: number): string {
  let out = '';
  while (out.length < chars) {
    const r = random();
    if (r < 0.02) {
      out += String.fromCharCode(0xd800 + int(random, 0x800)); // a lone surrogate
    } else if (r < 0.05) {
      out += pick(random, ['\ufdfa', '\u3392', '\ufb03', '\u2474', 'e\u0301', '\u00a0', '\u2028', '\u0085']);
    } else {
      let cp = int(random, 0x110000);
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41;
      out += String.fromCodePoint(cp);
    }
  }
  return out;
}

function randomAscii(random: Random, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) out += String.fromCharCode(random() < 0.05 ? pick(random, [9, 10, 13, 0, 27, 127]) : 32 + int(random, 95));
  return out;
}

/** A generator of one kind: a seeded random source and a rough size in UTF-16 code units. */
export type TextGenerator = (random: Random, chars: number) => string;

/** Every kind, by name. */
export const TEXT_KINDS: Readonly<Record<string, TextGenerator>> = {
  englishProse: (r, n) => proseOf(r, ENGLISH_PROSE, n),
  french: (r, n) => proseOf(r, [WORLD_PROSE.french], n),
  german: (r, n) => proseOf(r, [WORLD_PROSE.german], n),
  spanish: (r, n) => proseOf(r, [WORLD_PROSE.spanish], n),
  russian: (r, n) => proseOf(r, [WORLD_PROSE.russian], n),
  arabic: (r, n) => proseOf(r, [WORLD_PROSE.arabic], n),
  hindi: (r, n) => proseOf(r, [WORLD_PROSE.hindi], n),
  japaneseChinese: (r, n) => proseOf(r, [WORLD_PROSE.japanese, WORLD_PROSE.chinese], n),
  code,
  json,
  base64: (r, n) => bytes(r, Math.ceil((n * 3) / 4)).toString('base64').slice(0, n),
  hex: (r, n) => {
    const hex = bytes(r, Math.ceil(n / 2)).toString('hex');
    return r() < 0.5 ? hex.slice(0, n) : hex.replace(/(..)/g, '$1 ').slice(0, n);
  },
  digitLists: digitList,
  punctuation: (r, n) => fromAlphabet(r, PUNCTUATION, n),
  randomLetters: (r, n) => fromAlphabet(r, r() < 0.5 ? 'abcdefghijklmnopqrstuvwxyz' : 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', n),
  randomAscii,
  commonCjk: (r, n) => codePoints(r, n, COMMON_CJK),
  rareHan: (r, n) => codePoints(r, n, RARE_HAN),
  emoji,
  randomUnicode,
  mixture: (r, n) => {
    const kinds = Object.keys(TEXT_KINDS).filter((k) => k !== 'mixture');
    let out = '';
    while (out.length < n) out += TEXT_KINDS[pick(r, kinds)](r, 1 + int(r, 200)) + pick(r, ['', ' ', '\n', '. ']);
    return out;
  },
};

/** `count` samples of a kind, each of a random size up to `maxChars`, from `seed`. */
export function samplesOf(kind: string, count: number, maxChars: number, seed: number): string[] {
  const generator = TEXT_KINDS[kind];
  if (!generator) throw new Error(`unknown text kind '${kind}': expected one of ${Object.keys(TEXT_KINDS).join(', ')}`);
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => generator(random, 1 + int(random, maxChars)));
}

/** A random slice of a kind's text, for short samples. */
export function shortSample(kind: string, random: Random, chars: number): string {
  return slice(random, TEXT_KINDS[kind](random, chars * 4), chars);
}

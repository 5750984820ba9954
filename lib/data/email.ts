// Raw RFC 822 e-mails (the SpamAssassin corpus) to text: the Subject and the decoded body — MIME
// multipart walked, quoted-printable and base64 decoded, the charset honoured, HTML turned to text.

interface Part {
  headers: Map<string, string>;
  body: string;
}

function splitHeaders(raw: string): Part {
  const sep = raw.search(/\r?\n\r?\n/);
  const head = sep < 0 ? raw : raw.slice(0, sep);
  const body = sep < 0 ? '' : raw.slice(sep).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  let last = '';
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) headers.set(last, headers.get(last)! + ' ' + line.trim());
    else {
      const i = line.indexOf(':');
      if (i > 0) {
        last = line.slice(0, i).trim().toLowerCase();
        if (!headers.has(last)) headers.set(last, line.slice(i + 1).trim());
      }
    }
  }
  return { headers, body };
}

function param(value: string, name: string): string | null {
  const m = new RegExp(`${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value);
  return m ? (m[1] ?? m[2]) : null;
}

function bytesToText(bytes: Buffer, charset: string | null): string {
  const cs = (charset ?? 'latin1').toLowerCase().replace(/^(us-ascii|ascii|iso-8859-1|windows-1252|cp1252)$/, 'latin1');
  try {
    return new TextDecoder(cs === 'latin1' ? 'windows-1252' : cs).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

function decodeBody(body: string, encoding: string, charset: string | null): string {
  const enc = encoding.toLowerCase();
  if (enc === 'base64') return bytesToText(Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'), charset);
  if (enc === 'quoted-printable') {
    const soft = body.replace(/=\r?\n/g, '');
    const bytes: number[] = [];
    for (let i = 0; i < soft.length; i++) {
      if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
        bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.push(soft.charCodeAt(i) & 0xff);
      }
    }
    return bytesToText(Buffer.from(bytes), charset);
  }
  return charset && !/ascii|8859-1|1252/i.test(charset) ? bytesToText(Buffer.from(body, 'latin1'), charset) : body;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®', trade: '™', hellip: '…', mdash: '—', ndash: '–' };

export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(br|p|div|tr|li|h[1-6])\b[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(cp) && cp > 0 && cp < 0x110000 ? String.fromCodePoint(cp) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    });
}

function partText(p: Part, depth: number): string {
  const type = (p.headers.get('content-type') ?? 'text/plain').toLowerCase();
  if (type.startsWith('multipart/') && depth < 8) {
    const boundary = param(p.headers.get('content-type')!, 'boundary');
    if (!boundary) return p.body;
    const pieces = p.body.split(new RegExp(`^--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*$`, 'm')).slice(1);
    const parts = pieces.map((s) => splitHeaders(s.replace(/^\r?\n/, ''))).filter((x) => x.body.trim());
    // multipart/alternative: the plain version if there is one
    if (type.startsWith('multipart/alternative')) {
      const plain = parts.find((x) => (x.headers.get('content-type') ?? 'text/plain').toLowerCase().startsWith('text/plain'));
      if (plain) return partText(plain, depth + 1);
    }
    return parts.map((x) => partText(x, depth + 1)).join('\n');
  }
  if (!type.startsWith('text/') && !type.startsWith('message/')) return '';
  const text = decodeBody(p.body, p.headers.get('content-transfer-encoding') ?? '7bit', param(type, 'charset'));
  return type.startsWith('text/html') ? htmlToText(text) : text;
}

/** Decodes RFC 2047 encoded words in a header (=?charset?B|Q?…?=). */
export function decodeHeader(v: string): string {
  return v.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, cs: string, enc: string, data: string) => {
    const bytes = enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64')
      : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return bytesToText(bytes, cs);
  });
}

/** Subject and body text of a raw e-mail, whitespace collapsed. */
export function emailText(raw: string): { subject: string; body: string } {
  const p = splitHeaders(raw);
  const subject = decodeHeader(p.headers.get('subject') ?? '').replace(/\s+/g, ' ').trim();
  const body = partText(p, 0).replace(/[ \t\u00a0]+/g, ' ').replace(/\s*\n\s*/g, '\n').trim();
  return { subject, body };
}

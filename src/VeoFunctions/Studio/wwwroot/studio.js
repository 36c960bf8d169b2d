// Veo Studio: the app's public HTTP API (docs/api.md), in a page. No framework, no build step: see docs/studio.md.
// The function key lives in sessionStorage and travels only in the x-functions-key header. Download links (SAS URLs)
// are fetched when a video is played or downloaded, and never stored or logged.

const KEY = 'veoStudio.key';
const DRAFT = 'veoStudio.draft';
const MAX_IMAGE_BYTES = 8 * 1024 * 1024; // Images:MaxImageBytes
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
const ENDED = ['completed', 'failed', 'cancelled'];
const FIELDS = ['prompt', 'images', 'resolution', 'aspect_ratio', 'seed', 'generate_audio', 'negative_prompt'];
const $ = (id) => document.getElementById(id);

const followed = new Map(); // jobId → timer of its next status check
let continuation = null;

// ---- the API ----

class Problem extends Error {
  constructor(status, body, headers) {
    super(body?.detail || body?.title || `The app answered ${status}.`);
    this.status = status;
    this.body = body ?? {};
    this.headers = headers;
  }
}

async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const key = sessionStorage.getItem(KEY);
  if (!key) {
    showGate();
    throw new Problem(401, { detail: 'No function key.' });
  }
  const response = await fetch('/api' + path, {
    method,
    cache: 'no-store',
    credentials: 'omit',
    headers: { 'x-functions-key': key, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.status === 401) {
    sessionStorage.removeItem(KEY);
    showGate('The app refused that key.');
    throw new Problem(401, { detail: 'The app refused the function key.' });
  }
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = { detail: text.slice(0, 200) }; }
  if (!response.ok) throw new Problem(response.status, json, response.headers);
  return { json, headers: response.headers, status: response.status };
}

// ---- the key ----

function showGate(message = '') {
  stopFollowing();
  $('studio').hidden = true;
  $('budget').hidden = true;
  $('forget-key').hidden = true;
  $('key-gate').hidden = false;
  $('err-key').textContent = message;
  $('key').focus();
}

async function openStudio() {
  $('key-gate').hidden = true;
  $('studio').hidden = false;
  $('forget-key').hidden = false;
  await Promise.all([loadBudget(), loadJobs(true)]);
}

$('key-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = $('key').value.trim();
  if (!key) { $('err-key').textContent = 'Type the function key.'; return; }
  sessionStorage.setItem(KEY, key);
  $('key').value = '';
  try { await openStudio(); } catch (e) { if (e.status !== 401) $('err-key').textContent = e.message; }
});

$('forget-key').addEventListener('click', () => { sessionStorage.removeItem(KEY); showGate(); });

// ---- money ----

const usd = (n) => (n == null ? '—' : `$${Number(n).toFixed(2)}`);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

function untilText(iso) {
  const minutes = Math.max(0, Math.round((new Date(iso) - Date.now()) / 60000));
  return minutes >= 60 ? `in ${Math.floor(minutes / 60)} h ${minutes % 60} min` : `in ${minutes} min`;
}

async function loadBudget() {
  const { json: b } = await api('/budget');
  const box = $('budget');
  box.replaceChildren();
  const line = (label, value) => { const s = document.createElement('span'); s.append(`${label} `); const v = document.createElement('strong'); v.textContent = value; s.append(v, ' · '); box.append(s); };
  line(`Today (${b.day})`, b.enabled ? `${usd(b.remainingUsd)} left of ${usd(b.budgetUsd)}` : 'no daily budget');
  line('spent', usd(b.spentUsd));
  line('reserved', usd(b.reservedUsd));
  box.append(`resets ${when(b.resetsAt)} (${untilText(b.resetsAt)})`);
  box.hidden = false;
  $('budget-left').textContent = b.enabled
    ? `Budget left today: ${usd(b.remainingUsd)}. The app refuses a job whose estimate does not fit, before anything is spent.`
    : 'No daily budget is set.';
}

// ---- making a video ----

let chosen = [];

function showPreviews() {
  const list = $('previews');
  for (const img of list.querySelectorAll('img')) URL.revokeObjectURL(img.src);
  list.replaceChildren(...chosen.map((file) => {
    const li = document.createElement('li');
    const img = document.createElement('img');
    img.src = URL.createObjectURL(file);
    img.alt = file.name;
    li.append(img);
    return li;
  }));
}

function choose(files) {
  chosen = [...files];
  setError('images', checkImages(chosen));
  showPreviews();
}

// The page's own checks, before anything is uploaded; the app judges the bytes again.
function checkImages(files) {
  if (files.length < 1) return 'Choose at least one image.';
  if (files.length > 3) return `At most 3 images; ${files.length} were chosen.`;
  for (const f of files) {
    if (!IMAGE_TYPES.includes(f.type)) return `${f.name} is not a PNG, JPEG or WebP image.`;
    if (f.size > MAX_IMAGE_BYTES) return `${f.name} is ${(f.size / 1048576).toFixed(1)} MB; the limit is 8 MB.`;
  }
  return '';
}

$('images').addEventListener('change', (e) => choose(e.target.files));
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); choose(e.dataTransfer.files); });

function setError(field, message) {
  const input = field === 'images' ? $('images') : $(field);
  const box = $('err-' + field);
  if (box) box.textContent = message || '';
  if (input) input.setAttribute('aria-invalid', message ? 'true' : 'false');
}

function clearErrors() {
  FIELDS.forEach((f) => setError(f, ''));
  $('form-problem').hidden = true;
  $('form-problem').replaceChildren();
}

const dataUri = (file) => new Promise((resolve, reject) => {
  const reader = new FileReader();
  reader.onload = () => resolve(reader.result);
  reader.onerror = () => reject(reader.error);
  reader.readAsDataURL(file);
});

// One key per draft: a double click, or the same body sent again after a reload, is the same job (replayed, billed
// once); the draft is renewed once the app has taken a job.
async function idempotencyKey(body) {
  let draft = sessionStorage.getItem(DRAFT);
  if (!draft) { draft = crypto.randomUUID(); sessionStorage.setItem(DRAFT, draft); }
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(draft + JSON.stringify(body)));
  return 'studio-' + [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function formBody(images) {
  const body = { prompt: $('prompt').value, image_urls: images, resolution: $('resolution').value, aspect_ratio: $('aspect_ratio').value, generate_audio: $('generate_audio').checked };
  const seed = $('seed').value.trim();
  if (seed) body.seed = /^\d+$/.test(seed) ? Number(seed) : seed; // the app says what a seed may be
  if ($('negative_prompt').value.trim()) body.negative_prompt = $('negative_prompt').value;
  return body;
}

// The app's problem: each field's error next to its field, the rest above the button.
function showProblem(problem) {
  const errors = problem.body.errors || {};
  const general = [];
  for (const [name, messages] of Object.entries(errors)) {
    const field = name.startsWith('image_urls') ? 'images' : name;
    if (FIELDS.includes(field)) setError(field, messages.join(' '));
    else general.push(`${name}: ${messages.join(' ')}`);
  }
  const box = $('form-problem');
  const lines = [];
  if (problem.status === 402) {
    const reset = problem.body.resetsAt;
    lines.push(`Over today's budget (402): ${problem.message}`);
    lines.push(`This job's estimate is ${usd(problem.body.estimatedUsd)}; ${usd(problem.body.remainingUsd)} is left of ${usd(problem.body.budgetUsd)}. The budget resets ${when(reset)} (${untilText(reset)}).`);
  } else if (Object.keys(errors).length === 0 || general.length) {
    lines.push(`${problem.body.title || 'The app refused the request'} (${problem.status}): ${problem.message}`, ...general);
  }
  if (lines.length) {
    box.replaceChildren(...lines.map((t) => { const p = document.createElement('p'); p.textContent = t; return p; }));
    box.hidden = false;
  }
  const first = FIELDS.find((f) => $('err-' + f)?.textContent);
  if (first) (first === 'images' ? $('images') : $(first)).focus();
}

$('create-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = $('submit');
  if (button.disabled) return;
  clearErrors();
  const imageError = checkImages(chosen);
  if (!$('prompt').value.trim()) setError('prompt', 'Write a prompt.');
  if (imageError) setError('images', imageError);
  if (imageError || !$('prompt').value.trim()) return;
  button.disabled = true;
  try {
    const body = formBody(await Promise.all(chosen.map(dataUri)));
    const { json } = await api('/videos', { method: 'POST', body, headers: { 'Idempotency-Key': await idempotencyKey(body) } });
    sessionStorage.removeItem(DRAFT);
    $('create-form').reset();
    chosen = [];
    showPreviews();
    const status = { jobId: json.jobId, phase: 'validating', createdAt: new Date().toISOString(), cost: json.cost, timeline: [], prompt: body.prompt };
    upsertCard(status, true);
    follow(json.jobId, 500);
    loadBudget().catch(() => {});
  } catch (e) {
    if (e instanceof Problem) showProblem(e); else showProblem(new Problem(0, { detail: String(e.message || e) }));
  } finally {
    button.disabled = false;
  }
});

// ---- the archive ----

$('phase-filter').addEventListener('change', () => loadJobs(true));
$('refresh').addEventListener('click', () => { loadJobs(true); loadBudget().catch(() => {}); });
$('more').addEventListener('click', () => loadJobs(false));

async function loadJobs(fresh) {
  const phase = $('phase-filter').value;
  const query = new URLSearchParams({ top: '24' });
  if (phase) query.set('phase', phase);
  if (!fresh && continuation) query.set('continuationToken', continuation);
  const problem = $('jobs-problem');
  try {
    const { json } = await api('/videos?' + query);
    problem.hidden = true;
    if (fresh) { stopFollowing(); $('gallery').replaceChildren(); }
    for (const job of json.jobs) {
      upsertCard(job, false);
      if (!ENDED.includes(job.phase)) follow(job.jobId, 2000);
    }
    continuation = json.continuationToken;
    $('more').hidden = !continuation;
  } catch (e) {
    if (e.status !== 401) { problem.textContent = e.message; problem.hidden = false; }
  }
}

// Running jobs are asked again at the pace the server asks for (Retry-After), else every 2 s.
function follow(jobId, delay) {
  clearTimeout(followed.get(jobId));
  followed.set(jobId, setTimeout(async () => {
    try {
      const { json, headers } = await api('/videos/' + encodeURIComponent(jobId));
      upsertCard(json, false);
      if (ENDED.includes(json.phase)) { followed.delete(jobId); loadBudget().catch(() => {}); return; }
      const after = Number(headers.get('Retry-After'));
      follow(jobId, after > 0 ? after * 1000 : 2000);
    } catch (e) {
      if (e.status === 401) return;
      follow(jobId, 5000);
    }
  }, delay));
}

function stopFollowing() {
  for (const timer of followed.values()) clearTimeout(timer);
  followed.clear();
}

const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('data-') || k.startsWith('aria-')) node.setAttribute(k, v);
    else node[k] = v;
  }
  node.append(...children.filter((c) => c != null && c !== ''));
  return node;
};

function upsertCard(job, first) {
  const gallery = $('gallery');
  const filter = $('phase-filter').value;
  const old = gallery.querySelector(`li[data-job-id="${CSS.escape(job.jobId)}"]`);
  const card = renderCard(job);
  if (old) {
    if (old.dataset.rendered === card.dataset.rendered) return; // nothing new: keep a playing video playing
    old.replaceWith(card);
  } else if (!filter || filter === job.phase || first) {
    if (first) gallery.prepend(card); else gallery.append(card);
  }
}

function renderCard(job) {
  const running = !ENDED.includes(job.phase);
  const li = el('li', { class: 'card', 'data-job-id': job.jobId, 'data-phase': job.phase });
  li.dataset.rendered = JSON.stringify([job.phase, job.lastUpdatedAt, job.queuePosition, job.logs, job.lastError, job.cost, job.note, job.error, !!job.video]);
  const phase = el('span', { class: `phase ${job.phase} ${running && job.phase !== 'archiving' ? 'running' : ''}` }, job.phase);
  const copy = el('button', { type: 'button', class: 'quiet copy', textContent: 'Copy id', 'aria-label': `Copy job id ${job.jobId}` });
  copy.addEventListener('click', async () => { await navigator.clipboard?.writeText(job.jobId); copy.textContent = 'Copied'; });
  li.append(el('h3', {}, phase, el('code', {}, job.jobId), copy));
  li.setAttribute('aria-label', `Job ${job.jobId}, ${job.phase}`);
  li.append(el('p', { class: 'meta' }, `Started ${when(job.createdAt)}` + (job.queuePosition != null ? ` · position ${job.queuePosition} in fal's queue` : '')));

  if (job.prompt) li.append(el('p', { class: 'prompt' }, job.prompt));
  if (job.video) li.append(videoPlayer(job));
  if (job.error) li.append(el('p', { class: 'problem' }, job.error));
  if (job.lastError) li.append(el('p', { class: 'problem' }, `Working through: ${job.lastError}`));
  if (job.note) li.append(el('p', { class: 'meta note' }, job.note));
  if (job.cost) {
    const c = job.cost;
    li.append(el('p', { class: 'meta cost' }, `Estimated ${usd(c.estimatedUsd)}` + (c.actualUsd != null ? ` · billed ${usd(c.actualUsd)}` : '') + ` · billing ${c.billing ?? 'pending'}`));
  }
  if (job.timeline?.length) {
    li.append(el('details', {}, el('summary', {}, 'Timeline'),
      el('ol', { class: 'timeline' }, ...job.timeline.map((t) => el('li', {}, `${t.phase} — ${when(t.at)}`)))));
  }
  if (job.logs?.length) li.append(el('details', {}, el('summary', {}, "fal's log"), el('pre', {}, job.logs.join('\n'))));
  li.append(actions(job));
  return li;
}

function videoPlayer(job) {
  const box = el('div', { class: 'player' });
  const play = el('button', { type: 'button', class: 'play', textContent: 'Play video' });
  play.addEventListener('click', async () => {
    play.disabled = true;
    try {
      const url = await freshLink(job.jobId);
      const video = el('video', { controls: true, playsInline: true, preload: 'auto', 'aria-label': `Video of job ${job.jobId}` });
      video.src = url;
      box.replaceChildren(video);
      video.focus();
      video.play().catch(() => {}); // a browser may hold autoplay back; the controls still work
    } catch (e) {
      play.disabled = false;
      box.append(el('p', { class: 'problem' }, e.message));
    }
  });
  box.append(play);
  return box;
}

// The job's download link, made afresh by the app (GET /api/videos/{id} carries it): links are short-lived credentials.
async function freshLink(jobId) {
  const { json } = await api('/videos/' + encodeURIComponent(jobId));
  const url = json.video?.downloadUrl;
  if (!url) throw new Problem(503, { detail: 'Storage gave no download link just now; try again shortly.' });
  return url;
}

function actions(job) {
  const bar = el('div', { class: 'actions' });
  const say = el('p', { class: 'meta', role: 'status' });
  const act = (label, path, done) => {
    const b = el('button', { type: 'button', class: 'quiet', textContent: label });
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await api(path, { method: 'POST' });
        say.textContent = done;
        follow(job.jobId, 500);
      } catch (e) {
        say.textContent = e.message;
        b.disabled = false;
      }
    });
    return b;
  };
  if (job.video) {
    const download = el('button', { type: 'button', class: 'quiet', textContent: 'Download MP4' });
    download.addEventListener('click', async () => {
      try {
        const a = el('a', { href: await freshLink(job.jobId), rel: 'noopener noreferrer', target: '_blank', download: `${job.jobId}.mp4` });
        a.click();
      } catch (e) { say.textContent = e.message; }
    });
    bar.append(download);
  }
  if (!ENDED.includes(job.phase) && job.phase !== 'archiving') {
    // Cancel asks first, saying what it may still cost.
    const ask = el('button', { type: 'button', class: 'quiet', textContent: 'Cancel…' });
    const warning = ['queued', 'generating'].includes(job.phase)
      ? `fal may still finish and bill it (${usd(job.cost?.estimatedUsd)}) if it is already generating; a queued request is not billed.`
      : 'Nothing has been sent to fal yet: nothing is spent.';
    ask.addEventListener('click', () => {
      ask.replaceWith(el('span', { class: 'meta' }, warning + ' '), act('Cancel the job', `/videos/${encodeURIComponent(job.jobId)}/cancel`, 'Cancel requested.'));
    });
    bar.append(ask);
  }
  if (job.phase === 'archiving' || (job.phase === 'failed' && job.falRequestId && !job.video)) {
    bar.append(act('Resume archive', `/videos/${encodeURIComponent(job.jobId)}/resume`, 'Resume requested.'));
  }
  return el('div', {}, bar, say);
}

// ---- start ----

if (sessionStorage.getItem(KEY)) openStudio().catch(() => {}); else showGate();

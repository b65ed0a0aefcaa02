// Finds things on a page the way a person does: by the text they can see.
// browsertest evaluates this file followed by one call; each function returns
// a plain object for Go to decode. An element that is found is marked with a
// data-browsertest attribute, so the Go side can act on it with a CSS selector.
const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();

const visible = (el) => !!(el.offsetParent || el.getClientRects().length);

// names are the texts an element may be known by: what is seen, the whole
// text (visually hidden parts included), its aria-label and a button's value.
const names = (el) => [norm(el.innerText), norm(el.textContent), norm(el.getAttribute('aria-label')),
  el.tagName === 'INPUT' ? norm(el.value) : ''].filter((s) => s !== '');

let counter = 0;
const mark = (el) => {
  const token = 'bt' + Date.now().toString(36) + (counter++).toString(36);
  el.setAttribute('data-browsertest', token);
  return '[data-browsertest="' + token + '"]';
};

const list = (strings) => [...new Set(strings)].map((s) => JSON.stringify(s)).join(', ') || 'none';

// scope returns the fieldset whose legend is question, or the document when
// question is empty.
function scope(question) {
  if (question === '') {
    return { root: document };
  }
  const fieldsets = [...document.querySelectorAll('fieldset')];
  const legendOf = (fs) => {
    const lg = fs.querySelector(':scope > legend');
    return lg ? norm(lg.textContent) : '';
  };
  const found = fieldsets.filter((fs) => legendOf(fs) === question);
  if (found.length === 0) {
    return { error: 'no question (fieldset legend) ' + JSON.stringify(question) + '; the page has ' + list(fieldsets.map(legendOf)) };
  }
  if (found.length > 1) {
    return { error: found.length + ' questions ' + JSON.stringify(question) };
  }
  return { root: found[0] };
}

// control finds the form field labelled label (inside question's fieldset
// when question is not empty), clears it when clear is set, and marks it.
function control(question, label, clear) {
  const s = scope(question);
  if (s.error) {
    return { error: s.error };
  }
  const labels = [...s.root.querySelectorAll('label')];
  let found = labels.filter((l) => names(l).includes(label)).map((l) => l.control).filter((c) => c);
  if (found.length === 0) {
    found = [...s.root.querySelectorAll('input, textarea, select')].filter((c) => norm(c.getAttribute('aria-label')) === label);
  }
  found = [...new Set(found)];
  if (found.length === 0) {
    const where = question === '' ? 'on the page' : 'in ' + JSON.stringify(question);
    return { error: 'no field labelled ' + JSON.stringify(label) + ' ' + where + '; labels there: ' + list(labels.map((l) => norm(l.textContent))) };
  }
  if (found.length > 1) {
    return { error: found.length + ' fields labelled ' + JSON.stringify(label) + '; name the question (fieldset legend) too' };
  }
  const el = found[0];
  if (clear && 'value' in el && el.tagName !== 'SELECT') {
    el.value = '';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }
  return { selector: mark(el), tag: el.tagName.toLowerCase(), type: el.type || '', checked: !!el.checked, id: el.id,
    label: el.labels && el.labels.length ? mark(el.labels[0]) : '' };
}

// clickable finds the visible link or button whose text is text and says
// whether activating it loads a page.
function clickable(text) {
  const all = [...document.querySelectorAll('a[href], button, input[type=submit], input[type=button], input[type=reset], summary, [role=button], [role=link]')];
  const seen = all.filter(visible);
  let found = seen.filter((el) => norm(el.innerText) === text);
  if (found.length === 0) {
    found = seen.filter((el) => names(el).includes(text));
  }
  if (found.length === 0) {
    return { error: 'no visible link or button ' + JSON.stringify(text) + '; the page has ' + list(seen.map((el) => names(el)[0] || '')) };
  }
  const el = found[0];
  let navigates = false;
  if (el.tagName === 'A') {
    const href = el.getAttribute('href');
    navigates = !href.startsWith('javascript:') && el.target !== '_blank';
  } else if ((el.tagName === 'BUTTON' || el.tagName === 'INPUT') && el.type === 'submit' && el.form) {
    navigates = true;
  }
  return { selector: mark(el), navigates: navigates };
}

function describe(el) {
  if (!el) {
    return { tag: '' };
  }
  return { tag: el.tagName.toLowerCase(), id: el.id || '', text: norm(el.innerText || el.textContent),
    href: el.getAttribute('href') || '', className: typeof el.className === 'string' ? el.className : '' };
}

function focused() {
  return describe(document.activeElement);
}

// choose selects the option whose text is option in the select at selector.
function choose(selector, option) {
  const el = document.querySelector(selector);
  const opts = [...el.options];
  const found = opts.find((o) => norm(o.textContent) === option);
  if (!found) {
    return { error: 'no option ' + JSON.stringify(option) + '; the options are ' + list(opts.map((o) => norm(o.textContent))) };
  }
  el.value = found.value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  el.dispatchEvent(new Event('change', { bubbles: true }));
  return {};
}

function heading() {
  const h1 = document.querySelector('h1');
  return h1 ? norm(h1.innerText) : '';
}

// Labelable elements (HTML's "labelable elements"), for label[for].
const labelable = (el) => ['BUTTON', 'METER', 'OUTPUT', 'PROGRESS', 'SELECT', 'TEXTAREA'].includes(el.tagName) ||
  (el.tagName === 'INPUT' && el.type !== 'hidden');

// describeControl names a control in a failure message.
const describeControl = (el) => el.tagName.toLowerCase() + (el.type && el.tagName === 'INPUT' ? '[type=' + el.type + ']' : '') +
  (el.id ? '#' + el.id : '') + (el.name ? '[name=' + el.name + ']' : '') + (el.type === 'checkbox' || el.type === 'radio' ? '[value=' + el.value + ']' : '');

// controlsPrepare finds the duplicate ids and the label[for]s that do not
// name exactly one labelable control; then it shows what a person can
// reveal (closed details, the unchosen options' conditional parts) and
// marks every form control, for the browser's accessible names to be read.
// controlsRestore puts the page back.
function controlsPrepare() {
  const problems = [];
  const byID = new Map();
  document.querySelectorAll('[id]').forEach((el) => byID.set(el.id, (byID.get(el.id) || []).concat([el])));
  byID.forEach((els, id) => {
    if (els.length > 1) {
      problems.push('id ' + JSON.stringify(id) + ' is used ' + els.length + ' times: ' + els.map(describeControl).join(', '));
    }
  });
  document.querySelectorAll('label[for]').forEach((l) => {
    const els = byID.get(l.htmlFor) || [];
    const text = JSON.stringify(norm(l.textContent));
    if (els.length === 0) {
      problems.push('label ' + text + ' is for ' + JSON.stringify(l.htmlFor) + ', which is no element');
    } else if (els.length > 1) {
      problems.push('label ' + text + ' is for ' + JSON.stringify(l.htmlFor) + ', which names ' + els.length + ' elements');
    } else if (!labelable(els[0])) {
      problems.push('label ' + text + ' is for ' + describeControl(els[0]) + ', which cannot be labelled');
    }
  });
  document.querySelectorAll('details:not([open])').forEach((d) => {
    d.setAttribute('data-bt-opened', '');
    d.open = true;
  });
  document.querySelectorAll('.govuk-checkboxes__conditional--hidden, .govuk-radios__conditional--hidden').forEach((c) => {
    const hidden = c.classList.contains('govuk-radios__conditional--hidden') ? 'govuk-radios__conditional--hidden' : 'govuk-checkboxes__conditional--hidden';
    c.setAttribute('data-bt-revealed', hidden);
    c.classList.remove(hidden);
  });
  // A control hidden from everyone (display: none, the hidden attribute,
  // visibility: hidden) needs no name; visually hidden ones (GOV.UK's
  // checkbox inputs) are rendered, and do.
  const controls = [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
    .filter((el) => el.checkVisibility({ visibilityProperty: true }) && !el.closest('[aria-hidden=true]'));
  controls.forEach((el, i) => el.setAttribute('data-bt-control', String(i)));
  return { problems: problems, controls: controls.map(describeControl) };
}

function controlsRestore() {
  document.querySelectorAll('[data-bt-opened]').forEach((d) => {
    d.open = false;
    d.removeAttribute('data-bt-opened');
  });
  document.querySelectorAll('[data-bt-revealed]').forEach((c) => {
    c.classList.add(c.getAttribute('data-bt-revealed'));
    c.removeAttribute('data-bt-revealed');
  });
  document.querySelectorAll('[data-bt-control]').forEach((el) => el.removeAttribute('data-bt-control'));
  return {};
}

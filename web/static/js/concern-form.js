// The "Report a concern" form's enhancements (web/page/concern_new.templ).
// The form works fully without them; with them:
//  - the form is saved as a server-side draft every 20 seconds when it has
//    changed, and when the page is hidden — never in the browser's storage,
//    and never when the child is in immediate danger (submit now instead);
//  - "Save draft" is hidden while "immediate danger" is "Yes", and the
//    emergency steps under that question are shown only then;
//  - the "Child" box suggests children from the roll as you type (POSTed,
//    so a child's name never goes in a URL), and choosing one adds them;
//  - Back after "Submit concern" comes to the receipt (enhanceBack).
const form = document.getElementById('concern-form')
if (form) {
  enhanceDrafts(form)
  enhanceChildSearch(form)
  enhanceBack(form)
}

// enhanceBack gives this page's history entry, as "Submit concern" is
// pressed, the address in data-after-submit: once the concern is stored it
// shows its receipt ("already sent to the DSL"), else the draft or a new
// form. Back then never shows this form again with what was sent, nor the
// browser's "resubmit?" page for a form that was posted.
function enhanceBack (form) {
  const after = form.dataset.afterSubmit
  if (!after) return
  let submitting = false
  form.addEventListener('submit', (e) => {
    submitting = e.submitter && e.submitter.name === 'action' && e.submitter.value === 'submit'
  })
  // As the page is left for the answer, not while the browser posts the form.
  window.addEventListener('pagehide', () => {
    if (submitting) history.replaceState(history.state, '', after)
  })
}

function fields (form) {
  const params = new URLSearchParams()
  for (const [name, value] of new FormData(form)) {
    if (typeof value === 'string' && name !== 'action') params.append(name, value)
  }
  return params
}

function inDanger (form) {
  const yes = form.querySelector('input[name="in_danger"][value="yes"]')
  return yes !== null && yes.checked
}

function enhanceDrafts (form) {
  const status = document.getElementById('draft-status')
  const saveButton = form.querySelector('[data-save-draft]')
  let last = fields(form).toString()
  let saving = false
  let sessionEnded = false

  const steps = document.querySelector('[data-danger-steps]')
  const showSaveButton = () => {
    if (saveButton) saveButton.hidden = inDanger(form)
    if (steps) steps.hidden = !inDanger(form)
  }
  form.addEventListener('change', showSaveButton)
  showSaveButton()

  const save = async (keepalive) => {
    if (saving || sessionEnded || inDanger(form)) return
    const body = fields(form)
    const text = body.toString()
    if (text === last) return
    saving = true
    try {
      const res = await fetch('/concerns/draft', {
        method: 'POST',
        body,
        credentials: 'same-origin',
        keepalive,
        headers: { Accept: 'application/json' }
      })
      if (res.redirected || res.status === 401 || res.status === 403) {
        sessionEnded = true
        status.textContent = 'Your session has ended. Copy anything you have typed since your draft was last saved, then sign in again.'
        return
      }
      if (res.ok) {
        const data = await res.json()
        last = text
        if (data.status) status.textContent = data.status // nothing typed or chosen yet: nothing to say
      }
    } catch {
      // Offline for a moment: the next attempt, or "Submit concern", carries the text.
    } finally {
      saving = false
    }
  }
  setInterval(() => save(false), 20000)
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') save(true)
  })
  form.addEventListener('submit', () => { last = fields(form).toString() })
}

function enhanceChildSearch (form) {
  const input = form.querySelector('[data-child-search]')
  if (!input) return
  const list = document.createElement('ul')
  list.id = 'child-suggestions'
  list.className = 'haven-typeahead'
  list.setAttribute('role', 'listbox')
  list.setAttribute('aria-label', 'Children on the roll')
  list.hidden = true
  input.insertAdjacentElement('afterend', list)
  const live = document.createElement('div')
  live.className = 'govuk-visually-hidden'
  live.setAttribute('role', 'status')
  list.insertAdjacentElement('afterend', live)

  input.setAttribute('role', 'combobox')
  input.setAttribute('aria-autocomplete', 'list')
  input.setAttribute('aria-controls', list.id)
  input.setAttribute('aria-expanded', 'false')

  let options = []
  let active = -1
  let timer = null
  let seq = 0

  const close = () => {
    list.hidden = true
    list.replaceChildren()
    options = []
    active = -1
    input.setAttribute('aria-expanded', 'false')
    input.removeAttribute('aria-activedescendant')
  }
  const highlight = (i) => {
    options.forEach((o, j) => o.setAttribute('aria-selected', String(j === i)))
    active = i
    if (i >= 0) input.setAttribute('aria-activedescendant', options[i].id)
  }
  const choose = (id) => {
    const pick = document.createElement('input')
    pick.type = 'hidden'
    pick.name = 'pick'
    pick.value = id
    const add = document.createElement('button')
    add.type = 'submit'
    add.name = 'action'
    add.value = 'add'
    add.hidden = true
    form.append(pick, add)
    form.requestSubmit(add)
  }
  const search = async () => {
    const q = input.value.trim()
    if (q.length < 2) { close(); return }
    const mine = ++seq
    try {
      const res = await fetch('/concerns/children', {
        method: 'POST',
        body: new URLSearchParams({ q }),
        credentials: 'same-origin',
        headers: { Accept: 'application/json' }
      })
      if (!res.ok || res.redirected || mine !== seq) return
      const data = await res.json()
      list.replaceChildren()
      options = data.children.map((c, i) => {
        const li = document.createElement('li')
        li.id = 'child-suggestion-' + i
        li.className = 'haven-typeahead__option'
        li.setAttribute('role', 'option')
        li.setAttribute('aria-selected', 'false')
        li.textContent = c.describe ? c.name + ' (' + c.describe + ')' : c.name
        li.addEventListener('mousedown', (e) => { e.preventDefault(); choose(c.id) })
        list.append(li)
        return li
      })
      options.forEach((o, i) => { o.dataset.id = data.children[i].id })
      active = -1
      list.hidden = options.length === 0
      input.setAttribute('aria-expanded', String(options.length > 0))
      live.textContent = options.length === 0
        ? 'No child on the roll matches'
        : options.length + (options.length === 1 ? ' child matches' : ' children match') + '. Use the up and down arrows to choose.'
    } catch {
      close()
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(search, 250)
  })
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' && options.length > 0) {
      e.preventDefault()
      highlight(Math.min(active + 1, options.length - 1))
    } else if (e.key === 'ArrowUp' && options.length > 0) {
      e.preventDefault()
      highlight(Math.max(active - 1, 0))
    } else if (e.key === 'Escape') {
      close()
    } else if (e.key === 'Enter') {
      e.preventDefault()
      if (active >= 0) {
        choose(options[active].dataset.id)
      } else {
        const find = form.querySelector('button[name="action"][value="find"]')
        if (find) form.requestSubmit(find)
      }
    }
  })
  // Enter is handled on keydown above; stop the browser's own implicit
  // submission (fired from keypress), which would post the form a second time.
  input.addEventListener('keypress', (e) => {
    if (e.key === 'Enter') e.preventDefault()
  })
  input.addEventListener('blur', () => setTimeout(close, 150))
}

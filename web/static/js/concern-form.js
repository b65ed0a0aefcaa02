// The "Report a concern" form's enhancements (web/page/concern_new.templ).
// The form works fully without them; with them:
//  - the form is saved as a server-side draft every 20 seconds when it has
//    changed, and when the page is hidden — never in the browser's storage,
//    and never when the child is in immediate danger (submit now instead);
//  - "Save draft" is hidden while "immediate danger" is "Yes", and the
//    emergency steps under that question are shown only then;
//  - Back after "Submit concern" comes to the receipt (enhanceBack).
// The "Child" box's type-ahead is child-search.js; the body map's figure,
// body-figure.js.
const form = document.getElementById('concern-form')
if (form) {
  enhanceDrafts(form)
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

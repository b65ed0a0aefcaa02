// The "Child" box of "Report a concern" (web/page/concern_new.templ) as a
// type-ahead: children on the school's roll are listed as the person types,
// and choosing one adds them to the concern. Without this script the box and
// its "Find child" button do the same in two steps, and they stay as they are.
//
// The ARIA 1.2 combobox pattern (WAI-ARIA Authoring Practices, "Editable
// Combobox With List Autocomplete"): the box is role=combobox with
// aria-expanded and aria-controls naming the listbox; the highlighted option
// is its aria-activedescendant (focus never leaves the box); Down and Up move
// through the options, Enter chooses, Escape closes; a polite live region
// says how many children match.
//
// Written here rather than taken from alphagov's accessible-autocomplete: on
// iOS that library writes each option's "1 of 3" suffix with an inline style
// attribute, which our CSP (style-src 'self') refuses, and it renders its own
// input in place of ours, where the no-JavaScript search has to stay.
//
// A name is never put in a URL: each lookup is a POST to /concerns/children
// (the same search of the roll, scoped to the school, as "Find child"),
// sent once the person has stopped typing for a moment, two characters or
// more, and an older lookup still under way is cancelled.
//
// Choosing a child posts the form with its "add" button, as "Add this
// child" does, but in the background: the server checks the child is on the
// school's roll, saves the draft and draws the children again, and only the
// page's "The child" section is replaced (focus back in the box, the live
// region saying who was added). Files chosen stay in their box until the
// form is sent. Anything but a plain answer (an error, a redirect, a
// session that ended) posts the form in the ordinary way instead.
import { Button, CharacterCount, Checkboxes, Radios, createAll } from './govuk-frontend.min.js'

const debounceMs = 250
const minChars = 2
const components = { 'govuk-button': Button, 'govuk-character-count': CharacterCount, 'govuk-checkboxes': Checkboxes, 'govuk-radios': Radios }

const form = document.getElementById('concern-form')
const section = document.getElementById('child-section')
if (form && section) {
  // The live region sits outside the section, so it outlives a redraw.
  const live = document.createElement('div')
  live.id = 'child-suggestions-status'
  live.className = 'govuk-visually-hidden'
  live.setAttribute('role', 'status')
  live.setAttribute('aria-live', 'polite')
  section.insertAdjacentElement('beforebegin', live)
  const input = section.querySelector('[data-child-search]')
  if (input) enhance(form, input, live)
}

// addInPlace posts the form as its "add" button with the child chosen, and
// replaces the children's section with the server's; it reports whether it
// could.
async function addInPlace (form, id, live) {
  const body = new FormData(form)
  for (const file of form.querySelectorAll('input[type="file"]')) body.delete(file.name)
  body.delete('pick')
  body.delete('action')
  body.set('pick', id)
  body.set('action', 'add')
  let res
  try {
    res = await fetch(form.getAttribute('action').split('#')[0], { method: 'POST', body, credentials: 'same-origin' })
  } catch {
    return false
  }
  if (res.status !== 200 || res.redirected) return false
  const doc = new DOMParser().parseFromString(await res.text(), 'text/html')
  const fresh = doc.getElementById('child-section')
  const old = document.getElementById('child-section')
  if (!fresh || !old) return false
  const section = document.adoptNode(fresh)
  old.replaceWith(section)
  for (const [name, Component] of Object.entries(components)) {
    if (section.querySelector('[data-module="' + name + '"]')) createAll(Component, {}, section)
  }
  const input = section.querySelector('[data-child-search]')
  if (input) {
    enhance(form, input, live)
    input.focus()
  }
  return true
}

function enhance (form, input, live) {
  const list = document.createElement('ul')
  list.id = 'child-suggestions'
  list.className = 'haven-typeahead'
  list.setAttribute('role', 'listbox')
  list.setAttribute('aria-label', 'Children on the roll')
  list.hidden = true
  input.insertAdjacentElement('afterend', list)

  input.setAttribute('role', 'combobox')
  input.setAttribute('aria-autocomplete', 'list')
  input.setAttribute('aria-controls', list.id)
  input.setAttribute('aria-expanded', 'false')

  let children = [] // the last answer's children, in the list's order
  let options = []
  let active = -1
  let timer = null
  let pending = null // the lookup under way, to cancel when another starts
  let asked = ''

  const open = () => {
    if (options.length === 0) return
    list.hidden = false
    input.setAttribute('aria-expanded', 'true')
  }
  const close = () => {
    list.hidden = true
    input.setAttribute('aria-expanded', 'false')
    highlight(-1)
  }
  const highlight = (i) => {
    options.forEach((o, j) => o.setAttribute('aria-selected', String(j === i)))
    active = i
    if (i >= 0) {
      input.setAttribute('aria-activedescendant', options[i].id)
      options[i].scrollIntoView({ block: 'nearest' })
    } else {
      input.removeAttribute('aria-activedescendant')
    }
  }

  // choose adds the child as "Find child" then "Add this child" do (see
  // the top of this file), in place if it can.
  let choosing = false
  const choose = async (i) => {
    const c = children[i]
    if (!c || choosing) return
    choosing = true
    close()
    live.textContent = 'Adding ' + c.name + '.'
    if (await addInPlace(form, String(c.id), live)) {
      live.textContent = c.name + ' has been added to the concern.'
      return
    }
    for (const other of form.querySelectorAll('input[name="pick"]')) other.disabled = true
    const pick = document.createElement('input')
    pick.type = 'hidden'
    pick.name = 'pick'
    pick.value = String(c.id)
    const add = document.createElement('button')
    add.type = 'submit'
    add.name = 'action'
    add.value = 'add'
    add.hidden = true
    form.append(pick, add)
    form.requestSubmit(add)
  }

  const show = (data) => {
    children = data.children
    list.replaceChildren()
    options = children.map((c, i) => {
      const li = document.createElement('li')
      li.id = 'child-suggestion-' + i
      li.className = 'haven-typeahead__option'
      li.setAttribute('role', 'option')
      li.setAttribute('aria-selected', 'false')
      li.textContent = c.describe ? c.name + ' (' + c.describe + ')' : c.name
      // Keep focus in the box (a blur would close the list), then choose on click.
      li.addEventListener('mousedown', (e) => e.preventDefault())
      li.addEventListener('click', () => choose(i))
      list.append(li)
      return li
    })
    active = -1
    input.removeAttribute('aria-activedescendant')
    if (options.length === 0) {
      close()
      live.textContent = 'No child on the roll matches. Select “Find child” for more choices.'
      return
    }
    open()
    let said = options.length === 1 ? '1 child matches.' : options.length + ' children match.'
    if (data.more) said += ' More match than are shown: type more of the name.'
    live.textContent = said + ' Use the down arrow to choose.'
  }

  const search = async () => {
    const q = input.value.trim()
    if (q.length < minChars) {
      if (pending) pending.abort()
      asked = ''
      children = []
      options = []
      list.replaceChildren()
      close()
      return
    }
    if (q === asked) { open(); return }
    if (pending) pending.abort()
    const mine = new AbortController()
    pending = mine
    try {
      const res = await fetch('/concerns/children', {
        method: 'POST',
        body: new URLSearchParams({ q }),
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
        signal: mine.signal
      })
      // Signed out meanwhile, or a refusal: the "Find child" button still works.
      if (!res.ok || res.redirected) return
      const data = await res.json()
      if (pending !== mine) return
      asked = q
      show(data)
    } catch {
      // Cancelled by a newer lookup, or offline for a moment: nothing to show.
    } finally {
      if (pending === mine) pending = null
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(search, debounceMs)
  })
  input.addEventListener('keydown', (e) => {
    switch (e.key) {
      case 'ArrowDown':
        if (options.length === 0) return
        e.preventDefault()
        if (list.hidden) open()
        highlight(active < options.length - 1 ? active + 1 : 0)
        break
      case 'ArrowUp':
        if (options.length === 0) return
        e.preventDefault()
        if (list.hidden) open()
        highlight(active > 0 ? active - 1 : options.length - 1)
        break
      case 'Escape':
        if (!list.hidden) {
          e.preventDefault()
          close()
        }
        break
      case 'Enter': {
        // Enter chooses the highlighted child; otherwise it is "Find child",
        // the search without JavaScript (never the form's first button).
        e.preventDefault()
        if (!list.hidden && active >= 0) {
          choose(active)
          break
        }
        const find = form.querySelector('button[name="action"][value="find"]')
        if (find) form.requestSubmit(find)
        break
      }
    }
  })
  // Enter is handled on keydown above; stop the browser's own implicit
  // submission (fired from keypress), which would post the form a second time.
  input.addEventListener('keypress', (e) => {
    if (e.key === 'Enter') e.preventDefault()
  })
  input.addEventListener('blur', () => close())
}

// The body map's figure on "Report a concern" (bodyFigure in
// web/page/concern_new.templ). Without this script the figure stays hidden
// and the list of marks — a drop-down of regions, front or back, and a note
// each, with "Add another mark" — is the body map; it stays the same with
// the script, for keyboard and screen-reader users too.
//
// With it: each region of the front and back figure is a button (Enter or
// Space, or a tap); pressing one fills in the first empty mark of the list
// with that region and side, or adds a mark to the list (a copy of the
// last, emptied, numbered on), and says so in a polite live region. Each
// region with a mark is shaded and numbered as in the list, and the list's
// own drop-downs and radios keep the figure up to date. Nothing is sent
// until the form is: the marks are posted as the list's fields.
const figure = document.querySelector('[data-body-figure]')
const section = document.getElementById('body-map')
if (figure && section) enhance(figure, section)

// offsets move the second and later marks on one region off the first, as
// BodyOutline does (web/page/bodyfigure.go).
const offsets = [[0, 0], [8, 0], [-8, 0], [0, 9], [0, -9]]
const svgNS = 'http://www.w3.org/2000/svg'

function enhance (figure, section) {
  const max = Number(figure.dataset.maxMarks) || 40
  const status = document.getElementById('body-figure-status')
  const outline = section.querySelector('[data-body-outline]')
  if (outline) outline.hidden = true // the figure shows the same marks
  figure.hidden = false

  const rows = () => Array.from(section.querySelectorAll('.haven-body-mark'))
  const regionOf = (row) => row.querySelector('select[name$="-region"]')
  const noteOf = (row) => row.querySelector('input[name$="-note"]')
  const sideOf = (row) => {
    const ticked = row.querySelector('input[type="radio"]:checked')
    return ticked ? ticked.value : ''
  }
  const isEmpty = (row) => regionOf(row).value === '' && noteOf(row).value.trim() === ''

  // copyRow adds an empty mark after the last, numbered n (from 0): the
  // fields' names and ids are the server's (mark-N-region, -side, -note).
  const copyRow = (last, n) => {
    const row = last.cloneNode(true)
    const renumber = (v) => v.replace(/^mark-\d+-/, 'mark-' + n + '-')
    for (const el of row.querySelectorAll('[id], [name], [for], [aria-describedby]')) {
      for (const attr of ['id', 'name', 'for']) {
        if (el.hasAttribute(attr)) el.setAttribute(attr, renumber(el.getAttribute(attr)))
      }
      if (el.hasAttribute('aria-describedby')) {
        el.setAttribute('aria-describedby', el.getAttribute('aria-describedby').split(/\s+/).map(renumber).join(' '))
      }
    }
    const legend = row.querySelector('legend')
    if (legend) legend.textContent = 'Mark ' + (n + 1)
    regionOf(row).value = ''
    for (const radio of row.querySelectorAll('input[type="radio"]')) radio.checked = false
    noteOf(row).value = ''
    last.insertAdjacentElement('afterend', row)
    return row
  }

  const draw = () => {
    for (const r of figure.querySelectorAll('.haven-body-figure__region--marked')) {
      r.classList.remove('haven-body-figure__region--marked')
    }
    const layers = {}
    for (const g of figure.querySelectorAll('[data-marks]')) {
      g.replaceChildren()
      layers[g.dataset.marks] = g
    }
    const seen = {}
    rows().forEach((row, i) => {
      const region = regionOf(row).value
      const side = sideOf(row)
      const shape = figure.querySelector('[data-region="' + CSS.escape(region) + '"][data-side="' + CSS.escape(side) + '"]')
      if (!region || !shape) return
      shape.classList.add('haven-body-figure__region--marked')
      const key = side + ' ' + region
      const [dx, dy] = offsets[(seen[key] || 0) % offsets.length]
      seen[key] = (seen[key] || 0) + 1
      const x = Number(shape.dataset.x) + dx
      const y = Number(shape.dataset.y) + dy
      const dot = document.createElementNS(svgNS, 'circle')
      dot.setAttribute('cx', x)
      dot.setAttribute('cy', y)
      dot.setAttribute('r', 6)
      dot.setAttribute('class', 'haven-body-outline__mark')
      const number = document.createElementNS(svgNS, 'text')
      number.setAttribute('x', x)
      number.setAttribute('y', y + 3)
      number.setAttribute('class', 'haven-body-outline__number')
      number.textContent = String(i + 1)
      layers[side].append(dot, number)
    })
  }

  const add = (shape) => {
    const all = rows()
    let row = all.find(isEmpty)
    if (!row) {
      if (all.length >= max) {
        status.textContent = 'No more marks can be added: at most ' + max + '.'
        return
      }
      row = copyRow(all[all.length - 1], all.length)
    }
    regionOf(row).value = shape.dataset.region
    const radio = row.querySelector('input[type="radio"][value="' + CSS.escape(shape.dataset.side) + '"]')
    if (radio) radio.checked = true
    regionOf(row).dispatchEvent(new Event('change', { bubbles: true }))
    const n = rows().indexOf(row) + 1
    status.textContent = 'Mark ' + n + ' added: ' + shape.getAttribute('aria-label') + '. Say what it looks like in mark ' + n + ' below.'
  }

  for (const shape of figure.querySelectorAll('[data-region]')) {
    shape.addEventListener('click', () => add(shape))
    shape.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault()
        add(shape)
      }
    })
  }
  section.addEventListener('change', draw)
  draw()
}

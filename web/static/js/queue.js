// The Safeguarding queue's live line: "N new concerns — show them".
//
// The line is on the page from the start (without JavaScript it offers a
// link to check again), so updating it never moves the page under the
// reader. New concerns are counted by the server for this reader; the
// count arrives as Server-Sent Events from /queue/events, or, where those
// fail, by asking /queue/new every 30 seconds.
//
// It also makes the filters a panel a phone opens with "Show filter" (MOJ
// Frontend's filter toggle; on a desktop they stay beside the table, and
// without JavaScript they are always shown). The table's sorting is MOJ
// Frontend's sortable table, started by haven.js.
import { FilterToggleButton } from './moj-frontend.min.js'

const filter = document.getElementById('queue-filter')
if (filter) {
  new FilterToggleButton(filter, {
    bigModeMediaQuery: '(min-width: 48.0625em)',
    toggleButtonContainer: { selector: '.haven-queue__filter-toggle' },
    closeButtonContainer: { selector: '.moj-filter__header-action' }
  })
}

const line = document.getElementById('queue-live')
if (line) {
  const since = line.dataset.since
  const text = document.getElementById('queue-live-text')
  const link = document.getElementById('queue-live-link')
  const query = '?since=' + encodeURIComponent(since)
  let shown = 0

  const update = (count) => {
    if (!Number.isInteger(count) || count <= 0 || count === shown) return
    shown = count
    text.textContent = count === 1 ? '1 new concern — ' : count + ' new concerns — '
    link.textContent = 'show them'
  }

  let polling = false
  const poll = () => {
    if (polling) return
    polling = true
    const ask = () => {
      fetch(line.dataset.poll + query, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then((r) => (r.ok ? r.json() : null))
        .then((body) => { if (body) update(body.count) })
        .catch(() => {})
    }
    ask()
    setInterval(ask, 30000)
  }

  if ('EventSource' in window) {
    const events = new EventSource(line.dataset.events + query)
    events.addEventListener('count', (e) => update(parseInt(e.data, 10)))
    events.addEventListener('error', () => {
      if (events.readyState === EventSource.CLOSED) poll()
    })
  } else {
    poll()
  }
}

// Export progress: while an export waits for approval (every 5 seconds)
// or is being prepared (every 2 seconds), fetch its page and replace the
// progress region (an aria-live region) with the fresh one, until the file
// is ready or the export was refused or failed. Without JavaScript the
// page has a "Refresh this page" link.
const region = document.getElementById('export-progress')
const pending = (el) => ['awaiting_approval', 'queued', 'running'].includes(el.dataset.status)
const delay = () => region.dataset.status === 'awaiting_approval' ? 5000 : 2000

async function poll () {
  if (!region || !pending(region)) return
  try {
    const res = await fetch(window.location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin' })
    if (res.ok) {
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html')
      const fresh = doc.getElementById('export-progress')
      if (fresh) {
        region.dataset.status = fresh.dataset.status
        region.replaceChildren(...fresh.childNodes)
      }
    }
  } catch (e) {
    // The network blinked: try again at the next tick.
  }
  if (pending(region)) setTimeout(poll, delay())
}

if (region) setTimeout(poll, delay())

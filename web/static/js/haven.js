// Haven's page script: progressive enhancement for GOV.UK Frontend and MOJ
// Frontend components (conditional reveals, character counts, error summary
// focus, service navigation toggle, sortable tables). Every page works
// without it.
//
// Loaded at the end of <body> as
//   <script type="module" src="/static/js/haven.js"></script>
// (never inline, so the CSP needs no 'unsafe-inline' for scripts). init.js,
// a classic script at the top of <body>, has already added the
// "js-enabled govuk-frontend-supported" classes the components check.
import { initAll as initGOVUKFrontend } from './govuk-frontend.min.js'
import { initAll as initMOJFrontend } from './moj-frontend.min.js'

initGOVUKFrontend()
initMOJFrontend()

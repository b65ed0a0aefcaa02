// Runs before the page is drawn (a classic, blocking script, so no inline
// script is needed under the CSP): tells GOV.UK Frontend's CSS that
// JavaScript is on, so conditional content does not flash open.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');

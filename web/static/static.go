// Package static holds Haven's browser assets, embedded into the binary so
// that building and running Haven never needs Node or npm.
//
//   - css/haven.css: GOV.UK Frontend and MOJ Frontend compiled with Haven's
//     settings (system fonts, no GOV.UK branding) from scss/haven.scss by
//     `make css`; committed, and CI fails if recompiling changes it.
//   - js/: init.js (a classic script at the top of <body> that marks
//     JavaScript as on), haven.js (an ES module at the end of <body> that
//     starts the components) and the ES modules it imports,
//     govuk-frontend.min.js and moj-frontend.min.js, copied from
//     node_modules. No inline scripts.
//   - assets/images/: the favicon and the icons the CSS refers to, at
//     /static/assets/images/ (no crown, no GOV.UK logotype, no fonts).
//
// FS is served at /static/, so css/haven.css is /static/css/haven.css.
package static

import "embed"

// FS holds css/, js/ and assets/ (not scss/, which is only the build input).
//
//go:embed css js assets
var FS embed.FS

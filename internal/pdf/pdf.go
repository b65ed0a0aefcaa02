// Package pdf makes a child's file into a PDF a receiving school can read
// and nobody else can: Chromium prints Haven's HTML as a tagged PDF (an
// accessible structure, an outline from the headings) with page numbers,
// and pdfcpu protects it with a password (AES-256).
//
// Chromium is a runtime dependency of this feature: the binary named by
// HAVEN_CHROMIUM, or chromium, chromium-browser or google-chrome on the
// PATH (docs/records.md). It is started for each file and stopped after.
package pdf

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// ErrNoChromium means no Chromium binary was found.
var ErrNoChromium = errors.New("no Chromium to print the PDF: install chromium or set HAVEN_CHROMIUM")

// Printer prints HTML to PDF with Chromium.
type Printer struct{ path string }

// NewPrinter returns a Printer using the Chromium at path, or ("") the
// first of chromium, chromium-browser and google-chrome on the PATH.
func NewPrinter(path string) *Printer { return &Printer{path: path} }

func (p *Printer) chromium() (string, error) {
	if p.path != "" {
		return p.path, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if found, err := exec.LookPath(name); err == nil {
			return found, nil
		}
	}
	return "", ErrNoChromium
}

// Available reports whether a Chromium was found.
func (p *Printer) Available() bool {
	_, err := p.chromium()
	return err == nil
}

// Print renders doc (a whole document, with no external resources) to an
// A4 PDF, tagged for screen readers and with an outline, whose footer says
// "footer — page N of M". Chromium runs with no network beyond loopback,
// in a private profile removed afterwards.
func (p *Printer) Print(ctx context.Context, doc []byte, footer string) ([]byte, error) {
	path, err := p.chromium()
	if err != nil {
		return nil, err
	}
	// The page is served once on loopback, under a random path, so nothing
	// of it is written to disk.
	secret := rand.Text()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/"+secret {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(doc)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	dir, err := os.MkdirTemp("", "haven-pdf-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.Env("TMPDIR="+dir),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium's sandbox refuses to run as root
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx, chromedp.Navigate("http://"+ln.Addr().String()+"/"+secret)); err != nil {
		return nil, fmt.Errorf("chromium: open the page: %w", err)
	}
	out, err := chromedp.Run(bctx, chromedp.PrintToPDF(
		chromedp.PDFPaper(chromedp.PaperA4),
		chromedp.PDFMargins(0.6, 0.6, 0.8, 0.6),
		chromedp.PDFOutlineAndTagged(),
		chromedp.PDFHeaderTemplate(`<span></span>`),
		chromedp.PDFFooterTemplate(`<div style="font-size:9px;width:100%;text-align:center;font-family:sans-serif">`+
			html.EscapeString(footer)+` — page <span class="pageNumber"></span> of <span class="totalPages"></span></div>`),
	))
	if err != nil {
		return nil, fmt.Errorf("chromium: print to PDF: %w", err)
	}
	return out, nil
}

// Encrypt protects pdf with password (AES-256): the file opens only with
// it, and may be printed but not changed. The owner password, which would
// lift the restrictions, is random and never kept.
func Encrypt(pdf []byte, password string) ([]byte, error) {
	conf := model.NewAESConfiguration(password, rand.Text(), 256)
	conf.Permissions = model.PermissionsPrint // the receiving DSL may print it; nothing else
	var out bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(pdf), &out, conf); err != nil {
		return nil, fmt.Errorf("encrypt PDF: %w", err)
	}
	return out.Bytes(), nil
}

// passwordAlphabet has no letters or digits that read alike (0/O, 1/l/I).
const passwordAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// NewPassword returns a random password of four groups of five characters
// ("k3dqp-7mzta-…"), about 99 bits, easy to read out over the phone.
func NewPassword() string {
	var b [20]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	out := make([]byte, 0, 23)
	for i, c := range b {
		if i > 0 && i%5 == 0 {
			out = append(out, '-')
		}
		out = append(out, passwordAlphabet[int(c)%len(passwordAlphabet)])
	}
	return string(out)
}

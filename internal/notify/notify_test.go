package notify_test

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/jobs"
	"github.com/havenschools/haven/internal/mailtest"
	"github.com/havenschools/haven/internal/notify"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// startJobs starts Haven's River client on pool with notify's workers
// sending through mailer, logging into the returned buffer.
func startJobs(t *testing.T, pool *pgxpool.Pool, mailer notify.Mailer) (*jobs.Client, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	client, err := jobs.New(pool, slog.New(slog.NewJSONHandler(logs, nil)),
		func(w *river.Workers) { notify.AddWorkers(w, mailer) })
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := client.Stop(ctx); err != nil {
			t.Errorf("stop the job client: %v", err)
		}
	})
	return client, logs
}

// enqueue inserts args as a job inside a transaction that commits or rolls back.
func enqueue(t *testing.T, pool *pgxpool.Pool, client *jobs.Client, args notify.EmailArgs, commit bool) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := client.InsertTx(ctx, tx, args, nil); err != nil {
		t.Fatal(err)
	}
	if commit {
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEmailJobIsSentWhenItsTransactionCommits(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	mp := mailtest.Start(t)
	mailer, err := notify.NewSMTP(mp.SMTPURL(), "haven@example.test")
	if err != nil {
		t.Fatal(err)
	}
	client, _ := startJobs(t, d.App, mailer)

	t.Run("committed: the email arrives", func(t *testing.T) {
		enqueue(t, d.App, client, notify.EmailArgs{
			To: "dsl@school.example", Subject: "A new concern needs you",
			Text: "Open Haven to see it: http://haven.example/concerns/C-2026-000001",
		}, true)
		msg := mp.WaitFor(t, func(s mailtest.Summary) bool { return s.Subject == "A new concern needs you" }, 30*time.Second)
		if len(msg.To) != 1 || msg.To[0].Address != "dsl@school.example" {
			t.Errorf("to = %v, want dsl@school.example only", msg.To)
		}
		if msg.From.Address != "haven@example.test" {
			t.Errorf("from = %q, want haven@example.test", msg.From.Address)
		}
		if !strings.Contains(msg.Text, "http://haven.example/concerns/C-2026-000001") {
			t.Errorf("text = %q, want the link", msg.Text)
		}
	})

	t.Run("rolled back: no job and no email", func(t *testing.T) {
		mp.Clear(t)
		enqueue(t, d.App, client, notify.EmailArgs{To: "dsl@school.example", Subject: "Rolled back", Text: "never"}, false)
		if n := dbtest.Count(t, d.Owner, "river_job WHERE args->>'subject' = $1", "Rolled back"); n != 0 {
			t.Errorf("%d jobs stored from a rolled-back transaction, want 0", n)
		}
		// A job committed afterwards is delivered; by then the rolled-back
		// one would have been too, had it existed.
		enqueue(t, d.App, client, notify.EmailArgs{To: "dsl@school.example", Subject: "Committed after", Text: "."}, true)
		mp.WaitFor(t, func(s mailtest.Summary) bool { return s.Subject == "Committed after" }, 30*time.Second)
		for _, s := range mp.Messages(t) {
			if s.Subject == "Rolled back" {
				t.Error("the email of a rolled-back transaction was sent")
			}
		}
	})
}

func TestNewSMTPURLs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"smtp://127.0.0.1:1025", true},
		{"smtp://mail.example:587?tls=required", true},
		{"smtp://mail.example?tls=opportunistic", true},
		{"smtp://127.0.0.1:1025?tls=none", true},
		{"smtp://user:secret@mail.example:587?tls=required", true},
		{"smtps://mail.example", true},
		{"smtps://user:p%40ss@mail.example:465", true},
		{"", false},
		{"mail.example:25", false},
		{"http://mail.example", false},
		{"smtp://", false},
		{"smtp://:25", false},
		{"smtp://mail.example:port", false},
		{"smtp://mail.example?tls=maybe", false},
	} {
		_, err := notify.NewSMTP(tt.url, "haven@example.test")
		if (err == nil) != tt.ok {
			t.Errorf("NewSMTP(%q): err = %v, want ok = %v", tt.url, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("NewSMTP(%q): the error shows the password: %v", tt.url, err)
		}
	}
}

func TestSMTPSendsThroughEachPlainURLForm(t *testing.T) {
	t.Parallel()
	mp := mailtest.Start(t)
	for _, u := range []string{
		"smtp://" + mp.SMTPAddr() + "?tls=none",
		"smtp://" + mp.SMTPAddr(), // STARTTLS only if offered; mailpit offers none
	} {
		mailer, err := notify.NewSMTP(u, "haven@example.test")
		if err != nil {
			t.Fatal(err)
		}
		if err := mailer.Send(context.Background(), notify.Message{To: "a@example.test", Subject: u, Text: "."}); err != nil {
			t.Errorf("send through %s: %v", u, err)
			continue
		}
		mp.WaitFor(t, func(s mailtest.Summary) bool { return s.Subject == u }, 10*time.Second)
	}
	// tls=required refuses a server without STARTTLS rather than send in clear.
	mailer, err := notify.NewSMTP("smtp://"+mp.SMTPAddr()+"?tls=required", "haven@example.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := mailer.Send(context.Background(), notify.Message{To: "a@example.test", Subject: "in clear", Text: "."}); err == nil {
		t.Error("tls=required sent to a server without TLS")
	}
}

func TestSubjectCannotAddAHeader(t *testing.T) {
	t.Parallel()
	const evil = "Hello\r\nBcc: attacker@evil.example\r\nX-Injected: yes"
	mp := mailtest.Start(t)
	mailer, err := notify.NewSMTP(mp.SMTPURL(), "haven@example.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := mailer.Send(context.Background(), notify.Message{To: "dsl@school.example", Subject: evil, Text: "body"}); err != nil {
		t.Fatal(err)
	}
	msg := mp.WaitFor(t, func(s mailtest.Summary) bool { return s.SentTo("dsl@school.example") }, 10*time.Second)
	if len(msg.Bcc) != 0 || len(msg.Cc) != 0 || len(msg.To) != 1 {
		t.Errorf("recipients: to %v, cc %v, bcc %v; want dsl@school.example only", msg.To, msg.Cc, msg.Bcc)
	}
	if _, ok := msg.Headers["X-Injected"]; ok {
		t.Errorf("a header was injected through the subject: %v", msg.Headers)
	}
	if strings.Contains(msg.Raw, "\nBcc:") || strings.Contains(msg.Raw, "\nX-Injected:") {
		t.Errorf("raw message has an injected header line:\n%s", msg.Raw)
	}
	if !strings.Contains(msg.Subject, "Hello") || !strings.Contains(msg.Subject, "attacker@evil.example") {
		t.Errorf("subject = %q, want the whole text kept on one line", msg.Subject)
	}

	// The outbox writes the same message: one Subject line, no injected header.
	dir := t.TempDir()
	outbox, err := notify.NewOutbox(dir, "haven@example.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := outbox.Send(context.Background(), notify.Message{To: "dsl@school.example", Subject: evil, Text: "body"}); err != nil {
		t.Fatal(err)
	}
	raw := readOnlyEmail(t, dir)
	if strings.Contains(raw, "\nBcc:") || strings.Contains(raw, "\nX-Injected:") {
		t.Errorf("outbox file has an injected header line:\n%s", raw)
	}
}

func TestOutboxWritesAFileAndLogsNothing(t *testing.T) {
	// Not parallel: it watches the process-wide default loggers.
	var global bytes.Buffer
	defaultLog := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&global, nil)))
	log.SetOutput(&global)
	t.Cleanup(func() {
		slog.SetDefault(defaultLog)
		log.SetOutput(os.Stderr)
	})

	d := dbtest.Open(t)
	dir := filepath.Join(t.TempDir(), "outbox")
	outbox, err := notify.NewOutbox(dir, "haven@example.test")
	if err != nil {
		t.Fatal(err)
	}
	client, jobLogs := startJobs(t, d.App, outbox)
	args := notify.EmailArgs{To: "private.person@school.example", Subject: "Private subject line", Text: "Private body text"}
	enqueue(t, d.App, client, args, true)

	deadline := time.Now().Add(30 * time.Second)
	for emails(t, dir) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	raw := readOnlyEmail(t, dir)
	for _, want := range []string{"To: <private.person@school.example>", "Subject: Private subject line", "Private body text"} {
		if !strings.Contains(raw, want) {
			t.Errorf("the outbox file lacks %q:\n%s", want, raw)
		}
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		t.Errorf("outbox folder mode %v: others can read the emails", info.Mode().Perm())
	}
	for _, logged := range []string{global.String(), jobLogs.String()} {
		for _, secret := range []string{args.To, args.Subject, args.Text} {
			if strings.Contains(logged, secret) {
				t.Errorf("the log contains %q:\n%s", secret, logged)
			}
		}
	}
}

func emails(t *testing.T, dir string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

// readOnlyEmail returns the one .eml file in dir, failing unless there is exactly one.
func readOnlyEmail(t *testing.T, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(m) != 1 {
		t.Fatalf("%d emails in the outbox, want 1", len(m))
	}
	info, err := os.Stat(m[0])
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("email file mode %v, want 0600", info.Mode().Perm())
	}
	b, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Package notify tells people that something in Haven needs them: email
// (links only, never a child's name or any detail of a concern) and the River
// workers that send it, so a notification enqueued in a transaction is sent
// exactly when that transaction commits, and retried until it is.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// Message is one plain-text email.
type Message struct {
	To      string
	Subject string
	Text    string
}

// Mailer sends email.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// SMTP sends email through an SMTP server.
type SMTP struct {
	from string
	host string
	opts []mail.Option
}

// NewSMTP returns a Mailer for an SMTP URL: smtp://[user:pass@]host[:port]
// (STARTTLS when the server offers it; ?tls=required insists on it, ?tls=none
// never uses it) or smtps://… (TLS from the start).
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return nil, errors.New("HAVEN_SMTP_URL: want smtp://host:port or smtps://host:port")
	}
	opts := []mail.Option{mail.WithTimeout(30 * time.Second)}
	port := 25
	switch u.Scheme {
	case "smtp":
		switch u.Query().Get("tls") {
		case "", "opportunistic":
			opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
		case "required":
			opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
			port = 587
		case "none":
			opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
		default:
			return nil, errors.New("HAVEN_SMTP_URL: tls= takes required, opportunistic or none")
		}
	case "smtps":
		opts = append(opts, mail.WithSSL())
		port = 465
	default:
		return nil, errors.New("HAVEN_SMTP_URL: scheme must be smtp or smtps")
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, errors.New("HAVEN_SMTP_URL: bad port")
		}
	}
	opts = append(opts, mail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain),
			mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	return &SMTP{from: from, host: u.Hostname(), opts: opts}, nil
}

// Send delivers m.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := build(s.from, m)
	if err != nil {
		return err
	}
	c, err := mail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send email: %w", err)
	}
	return nil
}

func build(from string, m Message) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("sender address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient address: %w", err)
	}
	// go-mail encodes header values; line breaks are removed here as well so
	// no caller can ever add a header through a subject.
	msg.Subject(strings.NewReplacer("\r", " ", "\n", " ").Replace(m.Subject))
	msg.SetMessageID()
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	return msg, nil
}

// Outbox writes each email as a file in a folder, for development without an
// SMTP server. Email never goes to the log.
type Outbox struct {
	dir  string
	from string
}

// NewOutbox returns a Mailer writing .eml files to dir.
func NewOutbox(dir, from string) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Outbox{dir: dir, from: from}, nil
}

// Dir is the folder the emails are written to.
func (o *Outbox) Dir() string { return o.dir }

// Send writes m to a new file in the outbox.
func (o *Outbox) Send(_ context.Context, m Message) error {
	msg, err := build(o.from, m)
	if err != nil {
		return err
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := filepath.Join(o.dir, time.Now().UTC().Format("20060102T150405.000000000Z")+"-"+hex.EncodeToString(b[:])+".eml")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := msg.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

package notify

import (
	"context"

	"github.com/riverqueue/river"
)

// EmailArgs is a River job that sends one email. Its fields are stored in
// the job table, so they hold links and addresses only, never case detail.
type EmailArgs struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

// Kind names the job for River.
func (EmailArgs) Kind() string { return "email" }

// InsertOpts sends email from its own queue, retried with River's backoff.
func (EmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueEmail, MaxAttempts: 25}
}

// QueueEmail is the River queue email is sent from.
const QueueEmail = "email"

// EmailWorker sends EmailArgs jobs through a Mailer.
type EmailWorker struct {
	river.WorkerDefaults[EmailArgs]
	mailer Mailer
}

// NewEmailWorker returns a worker sending through m.
func NewEmailWorker(m Mailer) *EmailWorker { return &EmailWorker{mailer: m} }

// Work sends the email; an error makes River retry it later.
func (w *EmailWorker) Work(ctx context.Context, job *river.Job[EmailArgs]) error {
	return w.mailer.Send(ctx, Message{To: job.Args.To, Subject: job.Args.Subject, Text: job.Args.Text})
}

// AddWorkers registers notify's workers.
func AddWorkers(workers *river.Workers, m Mailer) {
	river.AddWorker(workers, NewEmailWorker(m))
}

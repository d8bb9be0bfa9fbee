package recstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

// Status is the outcome of one Check.
type Status string

// The outcomes of a Check.
const (
	StatusPass Status = "pass"
	StatusWarn Status = "warn" // passed, with something worth changing (see Fix)
	StatusFail Status = "fail"
	StatusSkip Status = "skip" // not run: a check it needs did not pass, or it cannot run through an access point
)

// A Check is one row of a Report.
type Check struct {
	Name     string        // "config", "base-identity", "external-id", "assume-role", "clock", "head-bucket", "versioning", "encryption", "upload", "object-lock", "copy", "download", "presign", "delete" or "multipart"
	Status   Status        // pass, warn, fail or skip
	Duration time.Duration // time the check took; zero when skipped
	Detail   string        // what the check found, for people
	Err      error         // why it failed (an *Error for remote failures) or, for some warnings, the reason; nil otherwise
	Fix      string        // what to change, on fail and warn
}

// failure is why c failed: its Err, or its Detail as an error; nil
// unless it failed.
func (c Check) failure() error {
	switch {
	case c.Status != StatusFail:
		return nil
	case c.Err != nil:
		return c.Err
	}
	return errors.New(c.Detail)
}

// A Leftover is something Verify wrote and could not remove.
type Leftover struct {
	Key       string // the object's key in the bucket, KeyPrefix included
	UploadID  string // set when it is a multipart upload that could not be aborted
	VersionID string // set when it is a version a versioned bucket keeps behind a delete marker
	Err       error  // why it could not be removed
}

// A Report is the result of Verify: one Check per step, in order, and what
// Verify could not clean up.
type Report struct {
	Bucket, Region, RoleARN string
	Checks                  []Check
	Leftovers               []Leftover
	Duration                time.Duration
}

// OK reports whether no check failed and nothing was left behind.
func (r *Report) OK() bool { return r.Err() == nil && len(r.Leftovers) == 0 }

// Err returns nil when no check failed, and otherwise a *VerifyError that
// errors.Is matches against the class (such as ErrS3AccessDenied) of every
// failure.
func (r *Report) Err() error {
	var failed []Check
	for _, c := range r.Checks {
		if c.Status == StatusFail {
			failed = append(failed, c)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &VerifyError{Failed: failed}
}

// A VerifyError lists the checks that failed.
type VerifyError struct {
	Failed []Check
}

// Error names each failed check and its error.
func (e *VerifyError) Error() string {
	parts := make([]string, len(e.Failed))
	for i, c := range e.Failed {
		parts[i] = c.Name + ": " + errText(c.Err)
	}
	return "recstore: verify failed: " + strings.Join(parts, "; ")
}

// Unwrap returns every failed check's error, so that errors.Is and
// errors.As see each of them.
func (e *VerifyError) Unwrap() []error {
	var errs []error
	for _, c := range e.Failed {
		if c.Err != nil {
			errs = append(errs, c.Err)
		}
	}
	return errs
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// String renders the report for people: an aligned line per check, then
// each failure and warning with its cause and fix, then any leftovers.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Verify bucket %s in %s with role %s\n\n", r.Bucket, r.Region, r.RoleARN)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tTIME\tDETAIL")
	for _, c := range r.Checks {
		detail := c.Detail
		if c.Status == StatusFail {
			detail = oneLine(errText(c.Err))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.Status, c.Duration.Round(time.Millisecond), detail)
	}
	tw.Flush()
	for _, c := range r.Checks {
		if c.Status == StatusFail || c.Status != StatusPass && c.Fix != "" {
			fmt.Fprintf(&b, "\n%s %s\n", c.Name, strings.ToUpper(string(c.Status)))
			fmt.Fprintf(&b, "  cause: %s\n", causeOf(c))
			if c.Fix != "" {
				fmt.Fprintf(&b, "  fix:   %s\n", c.Fix)
			}
		}
	}
	if len(r.Leftovers) > 0 {
		b.WriteString("\nLeft in the bucket (remove them by hand):\n")
		for _, l := range r.Leftovers {
			fmt.Fprintf(&b, "  %s%s%s: %s\n", l.Key, uploadNote(l.UploadID), versionNote(l.VersionID), oneLine(errText(l.Err)))
		}
	}
	status := "PASSED"
	if skipped := r.skipped(); !r.OK() {
		status = "FAILED"
	} else if skipped > 0 {
		status = fmt.Sprintf("PASSED, but %d checks were not run (see above)", skipped)
	}
	fmt.Fprintf(&b, "\n%s in %s\n", status, r.Duration.Round(time.Millisecond))
	return b.String()
}

// skipped counts the checks that were not run.
func (r *Report) skipped() int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == StatusSkip {
			n++
		}
	}
	return n
}

// causeOf explains a failed or warning check in one line.
func causeOf(c Check) string {
	if cause, _, ok := Diagnose(c.Err); ok {
		return cause
	}
	if c.Status == StatusWarn || c.Err == nil {
		return c.Detail
	}
	return oneLine(c.Err.Error())
}

func uploadNote(id string) string {
	if id == "" {
		return ""
	}
	return " (multipart upload " + id + ")"
}

func versionNote(id string) string {
	if id == "" {
		return ""
	}
	return " (version " + id + ", and its delete markers)"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// MarshalJSON writes the report for the product UI, with stable lower-case
// names: ok, bucket, region, roleArn, durationMs, checks (name, status,
// durationMs, detail, error, fix) and leftovers (key, uploadId, versionId, error).
// An error is an object: message, operation, code, statusCode, requestId,
// cause, and for an invalid configuration its problems (field, key,
// message), one per invalid setting.
func (r *Report) MarshalJSON() ([]byte, error) {
	checks := make([]jsonCheck, len(r.Checks))
	for i, c := range r.Checks {
		checks[i] = jsonCheck{Name: c.Name, Status: c.Status, DurationMs: milliseconds(c.Duration),
			Detail: c.Detail, Error: newJSONError(c.Err), Fix: c.Fix}
	}
	left := make([]jsonLeftover, len(r.Leftovers))
	for i, l := range r.Leftovers {
		left[i] = jsonLeftover{Key: l.Key, UploadID: l.UploadID, VersionID: l.VersionID, Error: newJSONError(l.Err)}
	}
	return json.Marshal(jsonReport{OK: r.OK(), Bucket: r.Bucket, Region: r.Region, RoleARN: r.RoleARN,
		DurationMs: milliseconds(r.Duration), Checks: checks, Leftovers: left})
}

type jsonReport struct {
	OK         bool           `json:"ok"`
	Bucket     string         `json:"bucket"`
	Region     string         `json:"region"`
	RoleARN    string         `json:"roleArn"`
	DurationMs float64        `json:"durationMs"`
	Checks     []jsonCheck    `json:"checks"`
	Leftovers  []jsonLeftover `json:"leftovers"`
}

type jsonCheck struct {
	Name       string     `json:"name"`
	Status     Status     `json:"status"`
	DurationMs float64    `json:"durationMs"`
	Detail     string     `json:"detail,omitempty"`
	Error      *jsonError `json:"error,omitempty"`
	Fix        string     `json:"fix,omitempty"`
}

type jsonLeftover struct {
	Key       string     `json:"key"`
	UploadID  string     `json:"uploadId,omitempty"`
	VersionID string     `json:"versionId,omitempty"`
	Error     *jsonError `json:"error,omitempty"`
}

type jsonError struct {
	Message    string        `json:"message"`
	Operation  string        `json:"operation,omitempty"`
	Code       string        `json:"code,omitempty"`
	StatusCode int           `json:"statusCode,omitempty"`
	RequestID  string        `json:"requestId,omitempty"`
	Cause      string        `json:"cause,omitempty"`
	Problems   []jsonProblem `json:"problems,omitempty"`
}

// jsonProblem is one invalid setting: a *ConfigError.
type jsonProblem struct {
	Field   string `json:"field,omitempty"`
	Key     string `json:"key"`
	Message string `json:"message"`
}

func newJSONError(err error) *jsonError {
	if err == nil {
		return nil
	}
	j := &jsonError{Message: err.Error()}
	var e *Error
	if errors.As(err, &e) {
		j.Operation, j.Code, j.StatusCode, j.RequestID = e.Op, e.Code, e.StatusCode, e.RequestID
	}
	j.Cause, _, _ = Diagnose(err)
	for _, ce := range ConfigErrors(err) {
		j.Problems = append(j.Problems, jsonProblem{Field: ce.Field, Key: ce.Key, Message: ce.Problem})
	}
	return j
}

func milliseconds(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

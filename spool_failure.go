package recstore

import (
	"errors"

	"github.com/auvious/recstore/internal/diagnose"
)

// A spoolFailure is a failed delivery attempt's error as the journal keeps
// it, so that Pending after a restart, and recstore spool ls, still give
// the diagnosis: an *Error's fields (none of them a secret), or the text
// and class of another error.
type spoolFailure struct {
	Class      string `json:"class"`             // errorType: the sentinel's name
	Message    string `json:"message"`           // the server's message, or the error's text
	Op         string `json:"op,omitempty"`      // an *Error's fields from here on
	Bucket     string `json:"bucket,omitempty"`  //
	Key        string `json:"key,omitempty"`     //
	Code       string `json:"code,omitempty"`    //
	StatusCode int    `json:"status,omitempty"`  //
	RequestID  string `json:"request,omitempty"` //
	Cause      string `json:"cause,omitempty"`   //
	Fix        string `json:"fix,omitempty"`     //
}

// failureOf is err as the journal keeps it.
func failureOf(err error) *spoolFailure {
	f := &spoolFailure{Class: errorType(err), Message: err.Error()}
	var e *Error
	if errors.As(err, &e) {
		f.Op, f.Bucket, f.Key, f.Code, f.StatusCode, f.RequestID = e.Op, e.Bucket, e.Key, e.Code, e.StatusCode, e.RequestID
		f.Cause, f.Fix, f.Message = e.Cause, e.Fix, diagnose.Message(e.Err, e.Cause)
	}
	return f
}

// restore is the error f keeps: an *Error when it was one, with the same
// text, diagnosis and class for errors.Is.
func (f *spoolFailure) restore() error {
	if f == nil {
		return nil
	}
	var kind error
	for _, class := range errorClasses() {
		if class.name == f.Class {
			kind = class.err
		}
	}
	if f.Op == "" {
		return &restoredError{msg: f.Message, kind: kind}
	}
	return &Error{Op: f.Op, Bucket: f.Bucket, Key: f.Key, Code: f.Code, StatusCode: f.StatusCode, RequestID: f.RequestID,
		Cause: f.Cause, Fix: f.Fix, Err: errors.New(f.Message), kind: kind}
}

// restoredError is an error other than an *Error, as the journal kept it.
type restoredError struct {
	msg  string
	kind error
}

func (e *restoredError) Error() string { return e.msg }
func (e *restoredError) Unwrap() error { return e.kind }

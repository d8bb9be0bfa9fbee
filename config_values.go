package recstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
)

// A value is a Config field seen through its kind: how the JSON form, the
// environment and flags write it, and how it prints. Problems are phrased
// to follow the value's own text ("... is not a whole number...").
type value interface {
	setText(string) string          // from a variable or flag; "" or the problem
	setJSON(json.RawMessage) string // from the product's JSON; "" or the problem
	json() any                      // for MarshalJSON
	isZero() bool                   // left out of the JSON form
	String() string                 // the text form, as setText reads it
	display() string                // for Config.String
	slogValue() slog.Value
}

// text is a string setting.
type text string

func (t *text) setText(s string) string { *t = text(s); return "" }

func (t *text) setJSON(raw json.RawMessage) string { return decodeJSON(raw, (*string)(t), "string") }

func (t *text) json() any             { return string(*t) }
func (t *text) isZero() bool          { return *t == "" }
func (t *text) String() string        { return string(*t) }
func (t *text) display() string       { return strconv.Quote(string(*t)) }
func (t *text) slogValue() slog.Value { return slog.StringValue(string(*t)) }

// seconds is a duration written as whole seconds: a JSON number or numeric
// string, as the product sends it.
type seconds time.Duration

const secondsProblem = "is not a whole number of seconds (AWS accepts 900 to 43200)"

func (d *seconds) setText(s string) string {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt32 {
		return secondsProblem
	}
	*d = seconds(time.Duration(n) * time.Second)
	return ""
}

func (d *seconds) setJSON(raw json.RawMessage) string {
	s := strings.Trim(string(raw), `"`)
	if s == "" || s == "null" {
		*d = 0
		return ""
	}
	if problem := d.setText(s); problem != "" {
		return fmt.Sprintf("%.40s %s", raw, problem)
	}
	return ""
}

func (d *seconds) json() any       { return int64(time.Duration(*d) / time.Second) }
func (d *seconds) isZero() bool    { return *d == 0 }
func (d *seconds) String() string  { return strconv.FormatInt(int64(time.Duration(*d)/time.Second), 10) }
func (d *seconds) display() string { return time.Duration(*d).String() }
func (d *seconds) slogValue() slog.Value {
	return slog.Int64Value(int64(time.Duration(*d) / time.Second))
}

// boolean is a true or false setting.
type boolean bool

func (b *boolean) setText(s string) string {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return "is not true or false"
	}
	*b = boolean(v)
	return ""
}

func (b *boolean) setJSON(raw json.RawMessage) string {
	return decodeJSON(raw, (*bool)(b), "true or false")
}

func (b *boolean) json() any             { return bool(*b) }
func (b *boolean) isZero() bool          { return !bool(*b) }
func (b *boolean) String() string        { return strconv.FormatBool(bool(*b)) }
func (b *boolean) display() string       { return b.String() }
func (b *boolean) slogValue() slog.Value { return slog.BoolValue(bool(*b)) }

// decodeJSON reads raw into *p, where null means the zero value, and
// describes a value of the wrong type.
func decodeJSON[T any](raw json.RawMessage, p *T, want string) string {
	var v *T
	if err := json.Unmarshal(raw, &v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return "wrong JSON type: want " + want + ", got " + typeErr.Value
		}
		return "the value is not valid JSON"
	}
	var zero T
	*p = zero
	if v != nil {
		*p = *v
	}
	return ""
}

// quote quotes a setting's text for an error message, shortened.
func quote(s string) string { return strconv.Quote(truncate(s)) }

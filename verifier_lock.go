package recstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// checkObjectLock, in an Object Lock bucket, places and lifts a legal hold
// on the upload probe and reads its hold and retention back: what
// SetLegalHold and Stat's lock state need (s3:PutObjectLegalHold,
// s3:GetObjectLegalHold, s3:GetObjectRetention). Each is optional: without
// one it warns, naming it.
func (v *verification) checkObjectLock(ctx context.Context) Check {
	if !v.lock.enabled {
		return pass("no Object Lock on the bucket (or the role may not read its configuration): nothing to check")
	}
	var denied, done []string
	// try runs one step: a denial is noted, any other error ends the check.
	try := func(action, did string, step func() error) (bool, error) {
		err := step()
		switch {
		case errors.Is(err, ErrS3AccessDenied):
			denied = append(denied, action)
			return false, nil
		case err != nil:
			return false, err
		}
		done = append(done, did)
		return true, nil
	}
	var held bool
	var mode RetentionMode
	var until time.Time
	placed, err := try("s3:PutObjectLegalHold", "placed a legal hold on the probe", func() error {
		return v.store.SetLegalHold(ctx, v.keys.probe, true)
	})
	if err == nil && placed {
		_, err = try("s3:GetObjectLegalHold", "read it back", func() (err error) {
			held, err = v.probes.legalHold(ctx, v.keys.probe)
			if err == nil && !held {
				err = fmt.Errorf("recstore: the legal hold placed on %s reads back off", v.stored(v.keys.probe))
			}
			return err
		})
		if _, lift := try("s3:PutObjectLegalHold", "lifted it", func() error {
			return v.store.SetLegalHold(ctx, v.keys.probe, false)
		}); lift != nil {
			err = lift // the probe stays held: the delete check and the leftovers say so
		}
	}
	if err == nil {
		_, err = try("s3:GetObjectRetention", "read its retention", func() (err error) {
			mode, until, err = v.probes.retention(ctx, v.keys.probe)
			if err == nil && mode == "" && v.lock.mode != "" { // every version has one: the default, or the probe's own
				err = v.probes.unsupported("s3:GetObjectRetention", v.keys.probe, "the probe's retention")
			}
			return err
		})
	}
	if err != nil {
		return fail(err)
	}
	detail := strings.Join(done, ", ")
	if mode != "" {
		detail += fmt.Sprintf(" (%s until %s)", mode, until.UTC().Format(time.RFC3339))
	}
	if len(denied) == 0 {
		return pass(detail)
	}
	slices.Sort(denied)
	denied = slices.Compact(denied)
	c := Check{Status: StatusWarn, Detail: strings.TrimPrefix(detail+"; ", "; ") + "the role may not " + strings.Join(denied, ", ")}
	c.Fix = fmt.Sprintf("optional: allow %s on %s%s* in the policy of role %s, "+
		"for Store.SetLegalHold and the retention and legal hold in Stat", strings.Join(denied, " and "),
		v.cfg.objectsARN(), v.cfg.KeyPrefix, v.cfg.RoleARN)
	return c
}

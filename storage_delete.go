package recstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A DeleteOption configures one Delete.
type DeleteOption interface{ applyDelete(*deleteOptions) }

// deleteOption is a DeleteOption that sets one field.
type deleteOption func(*deleteOptions)

func (f deleteOption) applyDelete(o *deleteOptions) { f(o) }

type deleteOptions struct{ allVersions bool }

// WithAllVersions makes Delete remove every version of the key and its
// delete markers, as a customer's erasure request needs in a versioned
// bucket (s3:ListBucketVersions, s3:DeleteObjectVersion). A version under
// Object Lock retention or a legal hold is not removed: Delete removes the
// others and returns ErrObjectLocked for each locked one, naming its
// retain-until date or hold and what may lift it.
func WithAllVersions() DeleteOption {
	return deleteOption(func(o *deleteOptions) { o.allVersions = true })
}

// Delete removes the object. Deleting a missing object is not an error.
// In a versioned bucket it only adds a delete marker, as S3 does: the
// versions stay, hidden, until WithAllVersions removes them.
func (s *Store) Delete(ctx context.Context, key string, opts ...DeleteOption) (err error) {
	ctx, c := s.begin(ctx, opDelete, key)
	defer func() { c.end(err) }()
	full, err := s.objectKey("key", key)
	if err != nil {
		return err
	}
	var o deleteOptions
	for _, opt := range opts {
		opt.applyDelete(&o)
	}
	if o.allVersions {
		return s.deleteVersions(ctx, key, full)
	}
	return s.run(ctx, "s3:DeleteObject", key, func(ctx context.Context) error {
		_, err := s.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: &full})
		return err
	})
}

// deleteVersions removes every version and delete marker of full, and
// returns the errors of those Object Lock keeps.
func (s *Store) deleteVersions(ctx context.Context, key, full string) error {
	versions, err := s.listVersions(ctx, key, full)
	if err != nil {
		return err
	}
	var locked []error
	for _, id := range versions {
		op, in := "s3:DeleteObjectVersion", &s3.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: &full, VersionId: aws.String(id)}
		if id == "null" {
			// The object of an unversioned bucket: a plain DELETE removes it,
			// with s3:DeleteObject alone.
			op, in.VersionId = "s3:DeleteObject", nil
		}
		err := s.run(ctx, op, key, func(ctx context.Context) error {
			_, err := s.s3.DeleteObject(ctx, in)
			return err
		})
		switch {
		case errors.Is(err, ErrObjectLocked):
			locked = append(locked, s.explainLock(ctx, key, full, id, err))
		case err != nil:
			return err
		}
	}
	return errors.Join(locked...)
}

// listVersions returns the version IDs of full's versions and delete markers.
func (s *Store) listVersions(ctx context.Context, key, full string) ([]string, error) {
	var ids []string
	pages := s3.NewListObjectVersionsPaginator(s.s3, &s3.ListObjectVersionsInput{Bucket: &s.cfg.Bucket, Prefix: &full})
	for pages.HasMorePages() {
		var page *s3.ListObjectVersionsOutput
		err := s.run(ctx, "s3:ListObjectVersions", key, func(ctx context.Context) (err error) {
			page, err = pages.NextPage(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, v := range page.Versions {
			if aws.ToString(v.Key) == full {
				ids = append(ids, aws.ToString(v.VersionId))
			}
		}
		for _, m := range page.DeleteMarkers {
			if aws.ToString(m.Key) == full {
				ids = append(ids, aws.ToString(m.VersionId))
			}
		}
	}
	return ids, nil
}

// explainLock completes a locked version's error with its retention and
// hold, when the role may read them.
func (s *Store) explainLock(ctx context.Context, key, full, version string, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	info, herr := s.head(ctx, key, full, version)
	if herr != nil || info.RetentionMode == "" && !info.LegalHold {
		return err
	}
	e.Cause = fmt.Sprintf("version %s of %q is protected by S3 Object Lock", version, key)
	var fixes []string
	if info.LegalHold {
		e.Cause += ": a legal hold"
		fixes = append(fixes, "lift the legal hold (Store.SetLegalHold(ctx, key, false), s3:PutObjectLegalHold)")
	}
	if info.RetentionMode != "" && info.RetainUntil.After(time.Now()) {
		until := info.RetainUntil.UTC().Format(time.RFC3339)
		e.Cause += fmt.Sprintf(" (%s retention until %s)", info.RetentionMode, until)
		if info.RetentionMode == RetentionCompliance {
			fixes = append(fixes, "wait until "+until+": nobody, the root user included, can remove a COMPLIANCE version earlier")
		} else {
			fixes = append(fixes, "wait until "+until+", or have someone with s3:BypassGovernanceRetention remove it (recstore does not bypass)")
		}
	}
	e.Fix = strings.Join(fixes, "; and ") + "; then delete it again with WithAllVersions"
	return err
}

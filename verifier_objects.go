package recstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

func (v *verification) checkUpload(ctx context.Context) Check {
	opts := append(v.probeRetention(), WithContentType("application/octet-stream"))
	info, err := v.store.Upload(ctx, v.keys.probe, bytes.NewReader(v.probe), opts...)
	v.wrote(v.keys.probe, mayHaveWritten(err))
	if err != nil && v.lock.mode != "" && !v.plainProbes && errors.Is(err, ErrS3AccessDenied) {
		return v.lockedUpload(ctx, err)
	}
	if err != nil {
		return fail(err)
	}
	v.uploaded = info
	v.noteVersion(v.keys.probe, info.VersionID)
	return pass("wrote 1 byte to " + v.stored(v.keys.probe))
}

// checkCopy copies the probe on the server and compares the copy's
// checksum (or MD5 ETag) with the probe's, rather than reading it back, so
// that the download check need not wait for the copy.
func (v *verification) checkCopy(ctx context.Context) Check {
	// The probe is known, so skip Copy's HeadObject of the source.
	var lock uploadOptions
	for _, opt := range v.probeRetention() {
		opt.applyUpload(&lock)
	}
	copied, err := v.probes.copy(ctx, ObjectInfo{Key: v.keys.probe, Size: int64(len(v.probe))}, v.keys.copy, lock)
	v.wrote(v.keys.copy, mayHaveWritten(err))
	if err != nil {
		return fail(err)
	}
	v.noteVersion(v.keys.copy, copied.VersionID)
	detail := "copied on the server to " + v.stored(v.keys.copy)
	switch up := v.uploaded; {
	case up.Checksum != "" && copied.Checksum != "":
		if copied.Checksum != up.Checksum {
			return fail(fmt.Errorf("recstore: the copy's checksum %s differs from the probe's %s", copied.Checksum, up.Checksum))
		}
		return pass(detail + "; checksums match")
	case up.ETag == md5Hex(v.probe): // not SSE-KMS, so the copy's ETag is its MD5 too
		if copied.ETag != up.ETag {
			return fail(fmt.Errorf("recstore: the copy's ETag %s differs from the probe's MD5 %s", copied.ETag, up.ETag))
		}
		return pass(detail + "; MD5s match")
	}
	return pass(detail + " (this store reports no checksum of the copy to compare)")
}

func (v *verification) checkDownload(ctx context.Context) Check {
	body, _, err := v.store.Download(ctx, v.keys.probe)
	if err != nil {
		return fail(err)
	}
	defer body.Close()
	got, err := io.ReadAll(io.LimitReader(body, 1024))
	if err != nil {
		return fail(err)
	}
	if !bytes.Equal(got, v.probe) {
		return fail(fmt.Errorf("recstore: the probe read back %d bytes that differ from the 1 byte written", len(got)))
	}
	return pass("read the probe back: bytes match")
}

// checkPresign fetches a presigned URL of the probe with a plain GET, as a
// player would.
func (v *verification) checkPresign(ctx context.Context) Check {
	link, expires, err := v.store.PresignGet(ctx, v.keys.probe, 5*time.Minute)
	if err != nil {
		return fail(err)
	}
	got, err := v.probes.fetchPresigned(ctx, v.keys.probe, link)
	if err != nil {
		return fail(err)
	}
	if !bytes.Equal(got, v.probe) {
		return fail(fmt.Errorf("recstore: the presigned URL returned %d bytes that differ from the 1 byte written", len(got)))
	}
	return pass("presigned GET returned the object; URL valid until " + expires.UTC().Format(time.RFC3339))
}

// checkDelete deletes the probe and its copy, concurrently, then lists
// their common prefix to confirm they are gone (s3:ListBucket, which
// head-bucket proved, rather than s3:GetObject, which the role may lack).
func (v *verification) checkDelete(ctx context.Context) Check {
	keys := []string{v.keys.probe}
	if v.mayExist(v.keys.copy) {
		keys = append(keys, v.keys.copy)
	}
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, key := range keys {
		wg.Go(func() {
			if errs[i] = v.store.Delete(ctx, key); errs[i] == nil {
				v.wrote(key, false)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return fail(err)
		}
	}
	for obj, err := range v.store.List(ctx, v.keys.probe) {
		if err != nil {
			return fail(err)
		}
		return fail(fmt.Errorf("recstore: %s still exists after DeleteObject", v.stored(obj.Key)))
	}
	if !v.versioned() {
		return pass(fmt.Sprintf("deleted %d objects and confirmed they are gone", len(keys)))
	}
	return v.deleteVersions(ctx, keys)
}

// deleteVersions removes the probes' versions in a versioned bucket, where
// a delete only hid them behind delete markers: the delete check must not
// pass while they remain.
func (v *verification) deleteVersions(ctx context.Context, keys []string) Check {
	if err := v.awaitProbeRelease(ctx); err != nil {
		return fail(err) // clean-up tries again
	}
	var failed error
	for _, key := range keys {
		err := v.store.Delete(ctx, key, WithAllVersions())
		v.mu.Lock()
		if err != nil {
			v.kept[key], failed = err, err
		} else {
			delete(v.versions, key)
		}
		v.mu.Unlock()
	}
	if failed == nil {
		return pass(fmt.Sprintf("deleted %d objects and every version of them (the bucket is versioned)", len(keys)))
	}
	c := Check{Status: StatusWarn, Err: failed, Detail: "the objects are deleted, but the versioned bucket keeps their " +
		"versions behind delete markers, and Verify could not remove them (see the leftovers)"}
	c.Fix = fmt.Sprintf("allow s3:ListBucketVersions on %[1]s and s3:DeleteObjectVersion on %[2]s%[3]s* "+
		"in the policy of role %[4]s, so that Verify removes its probes' versions; or remove the listed versions by hand",
		v.cfg.bucketARN(), v.cfg.objectsARN(), v.cfg.KeyPrefix+verifyPrefix, v.cfg.RoleARN)
	if errors.Is(failed, ErrObjectLocked) {
		c.Fix = "the bucket's Object Lock default retention keeps the probes: " + diagnosisFix(failed)
	}
	return c
}

// noteVersion records the version a probe write created, in a versioned bucket.
func (v *verification) noteVersion(key, version string) {
	if version == "" {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.versions[key] = version
}

// versioned reports whether a probe write created a version.
func (v *verification) versioned() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.versions) > 0
}

func diagnosisFix(err error) string {
	_, fix, _ := Diagnose(err)
	return fix
}

// stored is key as the bucket holds it, for the report.
func (v *verification) stored(key string) string { return v.cfg.KeyPrefix + key }

func (v *verification) mayExist(key string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.written[key]
}

// checkMultipart starts a multipart upload and aborts it: a failed upload
// of a long recording must be able to remove its parts. With SSE-KMS it
// sends one part first, which needs kms:GenerateDataKey.
func (v *verification) checkMultipart(ctx context.Context) Check {
	// startMultipart learns the ID even if ctx is cancelled while it waits,
	// so that clean-up can abort the upload.
	u, err := v.probes.startMultipart(ctx, v.keys.multipart)
	defer u.removeStrays(ctx)
	if err != nil {
		return fail(err)
	}
	v.mu.Lock()
	v.multipart = u
	v.mu.Unlock()
	detail := "started and aborted a multipart upload"
	if v.cfg.ServerSideEncryption == EncryptionKMS {
		// UploadPart is where SSE-KMS asks KMS for a data key with the
		// role's rights: a multipart upload can fail there even when PutObject works.
		if _, err := u.uploadPart(ctx, 1, v.probe); err != nil {
			v.abortProbe(ctx)
			return fail(err)
		}
		detail = "started a multipart upload, sent a part encrypted with the KMS key, and aborted it"
	}
	if err := v.abortProbe(ctx); err != nil {
		return fail(err)
	}
	return pass(detail + v.strayCleanup(ctx))
}

// strayCleanup says whether recstore can find and abort a multipart upload
// that a crash of a Spool, or a lost CreateMultipartUpload reply, leaves:
// only if the role may list the uploads; if not, only the bucket's
// lifecycle rule removes it.
func (v *verification) strayCleanup(ctx context.Context) string {
	err := v.probes.listUploads(ctx, v.keys.multipart)
	switch {
	case err == nil:
		return "; the role may list multipart uploads, so recstore aborts any a crash leaves"
	case errors.Is(err, ErrS3AccessDenied):
		return "; without s3:ListBucketMultipartUploads, only the bucket's lifecycle rule for incomplete uploads " +
			"removes one a crash leaves (recstore policy --multipart-cleanup)"
	}
	return ""
}

// abortProbe aborts the multipart probe, if one is open.
func (v *verification) abortProbe(ctx context.Context) error {
	v.mu.Lock()
	u := v.multipart
	v.mu.Unlock()
	if u == nil {
		return nil
	}
	if err := u.abort(ctx); err != nil {
		return err
	}
	v.mu.Lock()
	v.multipart = nil
	v.mu.Unlock()
	return nil
}

// cleanup removes whatever Verify may have left, on a context of its own,
// and returns what it could not remove.
func (v *verification) cleanup(ctx context.Context) []Leftover {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var left []Leftover
	for _, key := range []string{v.keys.probe, v.keys.copy} {
		v.mu.Lock()
		version, kept := v.versions[key], v.kept[key]
		v.mu.Unlock()
		switch {
		case kept != nil:
			left = append(left, Leftover{Key: v.stored(key), VersionID: version, Err: kept})
		case version != "": // versioned, and the delete check did not remove it
			err := v.awaitProbeRelease(ctx)
			if err == nil {
				err = v.store.Delete(ctx, key, WithAllVersions())
			}
			if err != nil {
				left = append(left, Leftover{Key: v.stored(key), VersionID: version, Err: err})
			}
		case v.mayExist(key):
			if err := v.store.Delete(ctx, key); err != nil {
				left = append(left, Leftover{Key: v.stored(key), Err: err})
			}
		}
	}
	v.mu.Lock()
	u := v.multipart
	v.mu.Unlock()
	if err := v.abortProbe(ctx); err != nil {
		left = append(left, Leftover{Key: v.stored(v.keys.multipart), UploadID: u.uploadID(), Err: err})
	}
	return left
}

package recstore

import (
	"context"
	"iter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// List yields the objects whose keys begin with prefix, in key order, with
// Config.KeyPrefix removed from their keys. An empty prefix lists every
// object under Config.KeyPrefix. It sends one request per 1,000 objects, as
// the loop asks for them; a failure is yielded once, as the last pair.
//
//	for obj, err := range store.List(ctx, "2026/") {
//		if err != nil {
//			return err
//		}
//		fmt.Println(obj.Key, obj.Size)
//	}
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error] {
	return func(yield func(ObjectInfo, error) bool) {
		ctx, c := s.begin(ctx, opList, "")
		var err error
		defer func() { c.end(err) }()
		if s.closed.Load() {
			err = ErrClosed
			yield(ObjectInfo{}, err)
			return
		}
		full := s.cfg.KeyPrefix + prefix
		in := &s3.ListObjectsV2Input{Bucket: &s.cfg.Bucket, Prefix: &full}
		pages := s3.NewListObjectsV2Paginator(s.s3, in)
		for pages.HasMorePages() {
			var page *s3.ListObjectsV2Output
			err = s.run(ctx, "s3:ListObjectsV2", "", func(ctx context.Context) (err error) {
				page, err = pages.NextPage(ctx)
				return err
			})
			if err != nil {
				yield(ObjectInfo{}, err)
				return
			}
			for _, obj := range page.Contents {
				info := ObjectInfo{
					Key:          s.callerKey(aws.ToString(obj.Key)),
					Size:         aws.ToInt64(obj.Size),
					ETag:         unquote(obj.ETag),
					LastModified: aws.ToTime(obj.LastModified),
				}
				if !yield(info, nil) {
					return
				}
			}
		}
	}
}

// Package awsparam fetches small configuration blobs (a rules file, the
// hashing key) from where a deployment keeps them: a local path, S3, or SSM
// Parameter Store. It is the only package that imports the S3 and SSM SDKs
// for configuration.
package awsparam

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// MaxBytes bounds a fetched blob.
const MaxBytes = 1 << 20

// Fetch reads src: s3://bucket/key, ssm:/name (SecureStrings decrypted) or a
// local path. cfg is used only for S3 and SSM.
func Fetch(ctx context.Context, cfg aws.Config, src string) ([]byte, error) {
	switch {
	case strings.HasPrefix(src, "s3://"):
		bucket, key, _ := strings.Cut(strings.TrimPrefix(src, "s3://"), "/")
		out, err := s3.NewFromConfig(cfg).GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
		if err != nil {
			return nil, fmt.Errorf("get %s: %w", src, err)
		}
		defer out.Body.Close()
		return readLimited(src, out.Body)
	case strings.HasPrefix(src, "ssm:"):
		name := strings.TrimPrefix(src, "ssm:")
		out, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: &name, WithDecryption: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("get parameter %s: %w", name, err)
		}
		return []byte(aws.ToString(out.Parameter.Value)), nil
	default:
		f, err := os.Open(strings.TrimPrefix(src, "file://"))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readLimited(src, f)
	}
}

func readLimited(src string, r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", src, err)
	}
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("read %s: larger than %d bytes", src, MaxBytes)
	}
	return b, nil
}

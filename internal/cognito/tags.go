package cognito

import (
	"context"
	"maps"
	"strings"

	"github.com/idpool/idpool/internal/api"
	"github.com/idpool/idpool/internal/arn"
	"github.com/idpool/idpool/internal/awserr"
	"github.com/idpool/idpool/internal/storage"
)

// checkTags refuses reserved keys and more tags than a pool may carry once the new ones
// are added to existing ones.
func (s *Service) checkTags(tags map[string]string, existing int) error {
	for k := range tags {
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return awserr.New(awserr.InvalidParameter, "Tag keys starting with 'aws:' are reserved for AWS use.")
		}
	}
	if existing+len(tags) > s.limits.TagsPerPool {
		return awserr.Newf(awserr.InvalidParameter, "Too many tags: an identity pool can have at most %d tags.", s.limits.TagsPerPool)
	}
	return nil
}

// poolFromARN resolves a tag operation's ResourceArn to a pool ID of the caller's account
// in this region.
func (s *Service) poolFromARN(c Caller, resourceARN string) (string, error) {
	region, account, id, err := arn.ParseIdentityPool(resourceARN)
	if err != nil {
		return "", awserr.Newf(awserr.InvalidParameter, "Invalid ResourceArn: %s", resourceARN)
	}
	if region != s.region || account != c.AccountID {
		return "", poolNotFound(id)
	}
	return id, nil
}

// TagResource adds or overwrites tags on a pool.
func (s *Service) TagResource(ctx context.Context, c Caller, in *api.TagResourceInput) (*api.TagResourceResponse, error) {
	id, err := s.poolFromARN(c, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if err := s.checkTags(in.Tags, 0); err != nil {
		return nil, err
	}
	_, err = s.store.UpdatePool(ctx, c.AccountID, id, func(p *storage.Pool) error {
		merged := maps.Clone(p.Tags)
		if merged == nil {
			merged = make(map[string]string, len(in.Tags))
		}
		maps.Copy(merged, in.Tags)
		if len(merged) > s.limits.TagsPerPool {
			return s.checkTags(nil, len(merged))
		}
		p.Tags = merged
		return nil
	})
	if err != nil {
		return nil, storageErr(err, id)
	}
	return &api.TagResourceResponse{}, nil
}

// UntagResource removes tags from a pool; keys it does not carry are ignored.
func (s *Service) UntagResource(ctx context.Context, c Caller, in *api.UntagResourceInput) (*api.UntagResourceResponse, error) {
	id, err := s.poolFromARN(c, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	_, err = s.store.UpdatePool(ctx, c.AccountID, id, func(p *storage.Pool) error {
		for _, k := range in.TagKeys {
			delete(p.Tags, k)
		}
		return nil
	})
	if err != nil {
		return nil, storageErr(err, id)
	}
	return &api.UntagResourceResponse{}, nil
}

// ListTagsForResource returns a pool's tags.
func (s *Service) ListTagsForResource(ctx context.Context, c Caller, in *api.ListTagsForResourceInput) (*api.ListTagsForResourceResponse, error) {
	id, err := s.poolFromARN(c, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	p, err := s.store.GetPool(ctx, c.AccountID, id)
	if err != nil {
		return nil, storageErr(err, id)
	}
	return &api.ListTagsForResourceResponse{Tags: nonNilMap(p.Tags)}, nil
}

package awsemu

// DMS tags: AddTagsToResource, RemoveTagsFromResource, ListTagsForResource.

func apiTags(tags []tagPair, arn string) []apiTag {
	out := make([]apiTag, 0, len(tags))
	for _, t := range tags {
		out = append(out, apiTag{Key: t.Key, Value: t.Value, ResourceArn: arn})
	}
	return out
}

// findTagged finds any DMS resource of the caller by ARN.
func (c *call) findTagged(arn string) (*record, *apiError) {
	z := c.zone()
	if v, ok := z.instances.byArn(arn, c.now); ok {
		return v.base(), nil
	}
	if v, ok := z.tasks.byArn(arn, c.now); ok {
		return v.base(), nil
	}
	if v, ok := z.endpoints.byArn(arn, c.now); ok {
		return v.base(), nil
	}
	if v, ok := z.configs.byArn(arn, c.now); ok {
		return v.base(), nil
	}
	if v, ok := z.subnetGroups.byArn(arn, c.now); ok {
		return v.base(), nil
	}
	return nil, notFound("Resource %s not found", arn)
}

// taggedForChange finds the DMS resource whose tags a call changes.
func (c *call) taggedForChange(arn, action string) (*record, *apiError) {
	if aerr := required("ResourceArn", arn); aerr != nil {
		return nil, aerr
	}
	r, aerr := c.findTagged(arn)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(action, r.arn); aerr != nil {
		return nil, aerr
	}
	return r, nil
}

func (c *call) dmsAddTagsToResource() (any, *apiError) {
	var in struct {
		ResourceArn string   `json:"ResourceArn"`
		Tags        []apiTag `json:"Tags"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	r, aerr := c.taggedForChange(in.ResourceArn, "dms:AddTagsToResource")
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := withTags(r.tags, tagsFromAPI(in.Tags), func(key, problem string) *apiError {
		return invalidParam("Invalid tag key %q: %s", key, problem)
	})
	if aerr != nil {
		return nil, aerr
	}
	r.tags = tags
	return struct{}{}, nil
}

func (c *call) dmsRemoveTagsFromResource() (any, *apiError) {
	var in struct {
		ResourceArn string   `json:"ResourceArn"`
		TagKeys     []string `json:"TagKeys"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	r, aerr := c.taggedForChange(in.ResourceArn, "dms:RemoveTagsFromResource")
	if aerr != nil {
		return nil, aerr
	}
	r.tags = removeTags(r.tags, in.TagKeys)
	return struct{}{}, nil
}

func (c *call) dmsListTagsForResource() (any, *apiError) {
	var in struct {
		ResourceArn     string   `json:"ResourceArn"`
		ResourceArnList []string `json:"ResourceArnList"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	arns := in.ResourceArnList
	if in.ResourceArn != "" {
		arns = append([]string{in.ResourceArn}, arns...)
	}
	if len(arns) == 0 {
		return nil, invalidParam("ResourceArn or ResourceArnList is required")
	}
	out := []apiTag{}
	for _, arn := range arns {
		r, aerr := c.findTagged(arn)
		if aerr != nil {
			return nil, aerr
		}
		out = append(out, apiTags(r.tags, r.arn)...)
	}
	return map[string]any{"TagList": out}, nil
}

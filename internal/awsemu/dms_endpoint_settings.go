package awsemu

// checkSettingsKeys checks the KmsKeyId of DocDbSettings and
// MongoDbSettings: a key named there must be one DMS may use. The settings
// are kept as given (DMS uses its default key when KmsKeyId is absent).
func (c *call) checkSettingsKeys(in createEndpointInput) *apiError {
	for name, settings := range map[string]map[string]any{"DocDbSettings": in.DocDbSettings, "MongoDbSettings": in.MongoDbSettings} {
		if settings == nil {
			continue
		}
		raw, present := settings["KmsKeyId"]
		if !present {
			continue
		}
		ref, ok := raw.(string)
		if !ok {
			return badRequest("ValidationException", "%s.KmsKeyId must be a string", name)
		}
		if ref == "" {
			continue
		}
		if _, aerr := c.dmsKey(ref); aerr != nil {
			return aerr
		}
	}
	return nil
}

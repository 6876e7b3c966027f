package api

// Operation describes one operation of the model. Operations (generated) lists them all.
type Operation struct {
	// Name is the operation name, e.g. "GetId". Requests name it in the X-Amz-Target
	// header as TargetPrefix + "." + Name.
	Name string
	// Public is true when the model declares "authtype": "none": the operation is
	// called without SigV4 credentials (GetId, GetOpenIdToken,
	// GetCredentialsForIdentity, UnlinkIdentity).
	Public bool
	// HasOutput is false when the model declares no output shape
	// (e.g. DeleteIdentityPool, SetIdentityPoolRoles).
	HasOutput bool
}

// OperationByName returns the operation of Operations called name.
func OperationByName(name string) (Operation, bool) {
	for _, op := range Operations {
		if op.Name == name {
			return op, true
		}
	}
	return Operation{}, false
}

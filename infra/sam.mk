# Build targets for `sam build`, included by the root Makefile.
#
# A function with `Metadata: BuildMethod: makefile` and `CodeUri: .` in
# template.yaml is built by running `make build-<LogicalId>` at the module
# root, with ARTIFACTS_DIR set to where SAM collects the function's files.
# Each target leaves one static arm64 executable named bootstrap there, as
# the provided.al2023 runtime expects.
#
# -tags lambda.norpc drops aws-lambda-go's net/rpc entry point, which only the
# retired go1.x runtime used. -buildvcs=false because SAM may build in a copy
# of the tree (or a container) where git cannot describe the checkout.

GO ?= go
LAMBDA_GOFLAGS = -tags lambda.norpc -trimpath -buildvcs=false -ldflags='-s -w'

.PHONY: build-SignupFunction
build-SignupFunction:
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: this target is run by sam build))
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_GOFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/signup

.PHONY: build-LoginFunction
build-LoginFunction:
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: this target is run by sam build))
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_GOFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/login

.PHONY: build-EnforceFunction
build-EnforceFunction:
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: this target is run by sam build))
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_GOFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/enforce

.PHONY: build-ReviewFunction
build-ReviewFunction:
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: this target is run by sam build))
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_GOFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/review

.PHONY: build-MessageFunction
build-MessageFunction:
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: this target is run by sam build))
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_GOFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/message

/// The Partner Center REST API's version prefix; every operation lives under it.
public let partnerCenterAPIVersionPrefix = "/v1"

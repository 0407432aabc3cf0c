/**
 * The kubelet's pod-resources API, v1 (k8s.io/kubelet `pkg/apis/podresources/v1/api.proto`),
 * embedded as text: the compiled binary runs on nodes that have no .proto files, so nothing is
 * read from disk. Only the `List` call and the messages it returns are kept; field names,
 * numbers and types are upstream's. The gogoproto options are left out: they only shape
 * generated Go code, not the wire format. Fields the kubelet adds later are skipped by the
 * decoder, as protobuf does with any unknown field.
 */
export const POD_RESOURCES_PROTO = `
syntax = "proto3";

package v1;

// PodResourcesLister is a service provided by the kubelet that provides information about the
// node resources consumed by pods and containers on the node
service PodResourcesLister {
    rpc List(ListPodResourcesRequest) returns (ListPodResourcesResponse) {}
}

// ListPodResourcesRequest is the request made to the PodResourcesLister service
message ListPodResourcesRequest {}

// ListPodResourcesResponse is the response returned by List function
message ListPodResourcesResponse {
    repeated PodResources pod_resources = 1;
}

// PodResources contains information about the node resources assigned to a pod
message PodResources {
    string name = 1;
    string namespace = 2;
    repeated ContainerResources containers = 3;
}

// ContainerResources contains information about the resources assigned to a container
message ContainerResources {
    string name = 1;
    repeated ContainerDevices devices = 2;
    repeated int64 cpu_ids = 3;
    repeated ContainerMemory memory = 4;
    repeated DynamicResource dynamic_resources = 5;
}

// ContainerMemory contains information about memory and hugepages assigned to a container
message ContainerMemory {
    string memory_type = 1;
    uint64 size = 2;
    TopologyInfo topology = 3;
}

// ContainerDevices contains information about the devices assigned to a container
message ContainerDevices {
    string resource_name = 1;
    repeated string device_ids = 2;
    TopologyInfo topology = 3;
}

// Topology describes hardware topology of the resource
message TopologyInfo {
    repeated NUMANode nodes = 1;
}

// NUMA representation of NUMA node
message NUMANode {
    int64 ID = 1;
}

// DynamicResource contains information about the devices assigned to a container by DRA
message DynamicResource {
    string class_name = 1;
    string claim_name = 2;
    string claim_namespace = 3;
    repeated ClaimResource claim_resources = 4;
}

// ClaimResource contains per-plugin resource information
message ClaimResource {
    repeated CDIDevice cdi_devices = 1;
}

// CDIDevice specifies a CDI device information
message CDIDevice {
    string name = 1;
}
`;

/** The service's full name: the gRPC method path is `/v1.PodResourcesLister/List`. */
export const POD_RESOURCES_SERVICE = 'v1.PodResourcesLister';

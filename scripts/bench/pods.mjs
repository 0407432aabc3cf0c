// The pods the benchmark attaches: a pool of eight delegates (bridge, ptp, macvlan on a host
// veth), each with its own 10.246.<i>.0/24 host-local range, and the multus configs and direct
// call sequences that run them.
import { BRIDGE, MASTER } from './host.mjs';

export const CNI_BIN = '/usr/lib/cni';
export const NAMESPACE = 'bench';
export const NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';
export const POD_ANNOTATIONS_KEY = 'io.kubernetes.cri.pod-annotations';

/** The eight delegates; a pod of n delegates takes the first n. No two share a host object. */
export function delegatePool(ipamDir) {
  const ipam = (i) => ({ type: 'host-local', subnet: `10.246.${i}.0/24`, dataDir: ipamDir });
  const bridge = (i, n) => ({
    name: `bench-br${i}`,
    type: 'bridge',
    bridge: BRIDGE(n),
    isGateway: true,
    ipam: ipam(i),
  });
  const ptp = (i) => ({ name: `bench-ptp${i}`, type: 'ptp', ipam: ipam(i) });
  const macvlan = (i, n) => ({
    name: `bench-mv${i}`,
    type: 'macvlan',
    master: MASTER(n),
    mode: 'bridge',
    ipam: ipam(i),
  });
  return [bridge(0, 0), ptp(1), bridge(2, 1), macvlan(3, 0), ptp(4), bridge(5, 2), macvlan(6, 1), ptp(7)];
}

/** The interface names multus gives in file mode (ifnameIndexFrom 0): eth0, net0, net1, ... */
export const ifnames = (n) => Array.from({ length: n }, (_, i) => (i === 0 ? 'eth0' : `net${i - 1}`));

export const cniArgs = (pod, containerId, namespace = NAMESPACE) =>
  `IgnoreUnknown=1;K8S_POD_NAMESPACE=${namespace};K8S_POD_NAME=${pod};K8S_POD_INFRA_CONTAINER_ID=${containerId}`;

/** The CNI_* a runtime passes, except CNI_COMMAND and CNI_IFNAME. */
export const baseEnv = ({ containerId, netns, pod, namespace }) => ({
  CNI_CONTAINERID: containerId,
  CNI_NETNS: netns,
  CNI_PATH: CNI_BIN,
  CNI_ARGS: cniArgs(pod, containerId, namespace),
});

export function fileConfig(delegates, { cniDir, parallel }) {
  return JSON.stringify({
    name: 'multus-cni-network',
    type: 'multus',
    cniVersion: '1.0.0',
    cniDir,
    logToStderr: false,
    parallelDelegates: parallel,
    delegates,
  });
}

/** Seed mode with NADs: the first annotated network is the master (eth0), the others net0, net1. */
export function kubeConfig({ kubeconfig, cniDir, annotations }) {
  const conf = {
    name: 'multus-cni-network',
    type: 'multus',
    cniVersion: '1.0.0',
    kubeconfig,
    cniDir,
    logToStderr: false,
  };
  if (annotations !== undefined) {
    conf.capabilities = { [POD_ANNOTATIONS_KEY]: true };
    conf.runtimeConfig = { [POD_ANNOTATIONS_KEY]: annotations };
  }
  return JSON.stringify(conf);
}

/** Each delegate's own config, as the runtime would pass it without multus. */
export const directConfs = (delegates) => delegates.map((d) => JSON.stringify({ cniVersion: '1.0.0', ...d }));

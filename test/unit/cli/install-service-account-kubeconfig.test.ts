import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiServerFromEnv, serviceAccountKubeconfig } from '../../../src/cli/install/service-account-kubeconfig';
import { loadKubeconfig } from '../../../src/sources/kube/load-kubeconfig';
import { useTempDir } from '../../support/temp-dir';

describe('apiServerFromEnv', () => {
  test.each([
    [{ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, 'https://10.96.0.1:443'],
    [{ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, 'https://[fd00::1]:6443'],
    [{ KUBERNETES_SERVICE_HOST: 'kubernetes.default.svc' }, 'https://kubernetes.default.svc:443'],
    [{ KUBERNETES_SERVICE_PORT: '443' }, undefined],
    [{}, undefined],
  ])('%j: %s', (vars, expected) => {
    expect(apiServerFromEnv(new Map(Object.entries(vars)))).toBe(expected);
  });
});

describe('serviceAccountKubeconfig', () => {
  const dir = useTempDir('multus-kubeconfig-test-');

  test('is loaded by the client multus uses, which reads the current token from the file', async () => {
    writeFileSync(join(dir(), 'token'), 'tok-1');
    writeFileSync(join(dir(), 'ca.crt'), 'CA');
    const path = join(dir(), 'multus.kubeconfig');
    writeFileSync(
      path,
      serviceAccountKubeconfig({
        server: 'https://10.96.0.1:443',
        caFile: join(dir(), 'ca.crt'),
        tokenFile: join(dir(), 'token'),
        namespace: 'kube-system',
      }),
    );
    const k8s = await import('@kubernetes/client-node');
    const loaded = loadKubeconfig(k8s, path);
    expect(loaded).toMatchObject({ server: 'https://10.96.0.1:443', user: 'multus' });
    expect(loaded.kubeConfig.getCurrentUser()?.token).toBe('tok-1');
    expect(loaded.kubeConfig.getCurrentCluster()?.caFile).toBe(join(dir(), 'ca.crt'));
    expect(loaded.kubeConfig.getContextObject(loaded.kubeConfig.getCurrentContext())?.namespace).toBe('kube-system');

    writeFileSync(join(dir(), 'token'), 'tok-2'); // rotated: the next CNI call reads the new one
    expect(loadKubeconfig(k8s, path).kubeConfig.getCurrentUser()?.token).toBe('tok-2');
  });

  test('paths with YAML-special characters stay one scalar; no namespace, no namespace line', () => {
    const text = serviceAccountKubeconfig({ server: 'https://a:1', caFile: '/x: "y"/ca', tokenFile: '/t#1' });
    expect(text).toContain('certificate-authority: "/x: \\"y\\"/ca"');
    expect(text).toContain('tokenFile: "/t#1"');
    expect(text).not.toContain('namespace:');
  });
});

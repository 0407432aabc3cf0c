/** The fakes live in the test-support entry (src/testing) so vendors' tests can use them too. */
export * from '../../src/testing/fakes';

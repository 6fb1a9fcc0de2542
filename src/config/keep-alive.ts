/**
 * The idle timeout the `FirehoseHttpEndpointToEfs` construct gives its load balancer by default:
 * Firehose allows 3 minutes for an answer, and the ALB must not cut a connection that waits for one.
 */
export const DEFAULT_LOAD_BALANCER_IDLE_TIMEOUT_SECONDS = 180;

/**
 * The receiver's keep-alive timeout for a load balancer idle timeout: longer, so the load balancer
 * always closes an idle connection first. Otherwise the ALB can send a request on a connection the
 * receiver is closing and answer 502 (Elastic Load Balancing, "Application Load Balancers":
 * "we recommend that you configure the idle timeout of your application to be larger than the idle
 * timeout configured for the load balancer"). The construct and the receiver's default both use it.
 */
export function keepAliveTimeoutSecondsFor(loadBalancerIdleTimeoutSeconds: number): number {
  return loadBalancerIdleTimeoutSeconds + 5;
}

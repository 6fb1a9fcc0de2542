import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/** AWS APIs an efsink deployment may call from inside the VPC. */
export type EfsinkVpcEndpointService = 'logs' | 'sqs' | 'secretsmanager' | 'firehose' | 'ecr';

/** Props of {@link EfsinkVpcEndpoints}. */
export interface EfsinkVpcEndpointsProps {
  /** The VPC the functions and tasks run in. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets that get an interface endpoint ENI (one per AZ) and whose route tables get the S3 gateway
   * route. The imported VPC must carry the subnets' route table ids for the gateway endpoint.
   * @default - interface endpoints in the VPC's private subnets; the S3 route in every subnet
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * Add the S3 gateway endpoint (free). The S3 handler reads objects through it, and Fargate pulls ECR
   * image layers through it.
   * @default true
   * @see https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html
   */
  readonly s3Gateway?: boolean;
  /**
   * Interface endpoints to create (each costs per hour per AZ). A VPC-attached function has no
   * internet access without a NAT gateway, so every API the code calls needs one of these or a NAT.
   * `ecr` adds both `ecr.api` and `ecr.dkr` (Fargate image pulls).
   * @default [] (no interface endpoints: choose when the VPC has no NAT)
   * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html
   */
  readonly interfaceServices?: readonly EfsinkVpcEndpointService[];
  /**
   * Who may reach the interface endpoints on HTTPS.
   * @default - the VPC's CIDR block (an imported VPC must then be imported with `vpcCidrBlock`)
   */
  readonly allowedPeer?: ec2.IPeer;
}

const INTERFACE_SERVICES: Record<EfsinkVpcEndpointService, readonly ec2.InterfaceVpcEndpointAwsService[]> = {
  logs: [ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
  sqs: [ec2.InterfaceVpcEndpointAwsService.SQS],
  secretsmanager: [ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
  firehose: [ec2.InterfaceVpcEndpointAwsService.KINESIS_FIREHOSE],
  ecr: [ec2.InterfaceVpcEndpointAwsService.ECR, ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
};

/**
 * VPC endpoints so that efsink's functions and tasks reach AWS APIs without a NAT gateway. Optional:
 * skip it when the VPC already has endpoints or a NAT.
 */
export class EfsinkVpcEndpoints extends Construct {
  /** The S3 gateway endpoint, if created. */
  readonly s3Gateway: ec2.GatewayVpcEndpoint | undefined;
  /** Interface endpoints by service. */
  readonly interfaceEndpoints: ReadonlyMap<string, ec2.InterfaceVpcEndpoint>;

  constructor(scope: Construct, id: string, props: EfsinkVpcEndpointsProps) {
    super(scope, id);
    const subnets = props.subnets;
    this.s3Gateway =
      props.s3Gateway === false
        ? undefined
        : new ec2.GatewayVpcEndpoint(this, 'S3', {
            vpc: props.vpc,
            service: ec2.GatewayVpcEndpointAwsService.S3,
            ...(subnets === undefined ? {} : { subnets: [subnets] }),
          });
    const endpoints = new Map<string, ec2.InterfaceVpcEndpoint>();
    for (const service of new Set(props.interfaceServices ?? [])) {
      for (const awsService of INTERFACE_SERVICES[service]) {
        const endpoint = new ec2.InterfaceVpcEndpoint(this, awsService.shortName, {
          vpc: props.vpc,
          service: awsService,
          ...(subnets === undefined ? {} : { subnets }),
          privateDnsEnabled: true,
          open: false,
        });
        endpoint.connections.allowDefaultPortFrom(
          props.allowedPeer ?? ec2.Peer.ipv4(props.vpc.vpcCidrBlock),
          'HTTPS to the AWS API from inside the VPC',
        );
        endpoints.set(awsService.shortName, endpoint);
      }
    }
    this.interfaceEndpoints = endpoints;
  }
}

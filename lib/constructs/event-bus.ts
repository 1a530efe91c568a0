import { EventBus } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

/** The bus on which the workflow's lifecycle events are published for other systems. */
export class WorkflowEventBus extends Construct {
  readonly bus: EventBus;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // No name: a generated one lets two copies of the stack live in one account.
    this.bus = new EventBus(this, 'Bus', {
      description: 'Omnilink workflow lifecycle events (WorkflowCompleted, WorkflowFailed, ...).',
    });
  }
}

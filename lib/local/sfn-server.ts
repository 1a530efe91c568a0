import type { Server } from 'node:http';
import {
  type ActionHandler,
  AwsServiceError,
  createAwsJsonServer,
  optionalInteger,
  optionalString,
  requiredString,
} from './aws-json.ts';
import type { ExecutionRecord, HistoryEvent, LocalStepFunctions } from './step-functions.ts';

/**
 * The Step Functions API (AWS JSON 1.0) in front of `LocalStepFunctions`, so the Lambdas use the
 * real `@aws-sdk/client-sfn` against it. One entry per action.
 */

/** Epoch seconds, as the JSON protocols carry timestamps. */
const seconds = (ms: number) => ms / 1000;

/** An execution as ListExecutions lists it. */
function listed(record: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: seconds(record.startDate),
    ...(record.stopDate === undefined ? {} : { stopDate: seconds(record.stopDate) }),
  };
}

function describe(record: ExecutionRecord): Record<string, unknown> {
  return {
    ...listed(record),
    input: record.input,
    inputDetails: { included: true },
    ...(record.output === undefined ? {} : { output: record.output, outputDetails: { included: true } }),
    ...(record.error === undefined ? {} : { error: record.error }),
    ...(record.cause === undefined ? {} : { cause: record.cause }),
    redriveCount: record.redriveCount ?? 0,
    ...(record.redriveDate === undefined ? {} : { redriveDate: seconds(record.redriveDate) }),
    redriveStatus:
      record.status === 'SUCCEEDED' || record.status === 'RUNNING' ? 'NOT_REDRIVABLE' : 'REDRIVABLE',
  };
}

function historyEvent(event: HistoryEvent): Record<string, unknown> {
  return { ...event, timestamp: seconds(event.timestamp) };
}

/** The action table of the local Step Functions endpoint. */
export function stepFunctionsActions(engine: LocalStepFunctions): Record<string, ActionHandler> {
  return {
    StartExecution: (input) => {
      const started = engine.startExecution({
        stateMachineArn: requiredString(input, 'stateMachineArn'),
        name: optionalString(input, 'name'),
        input: optionalString(input, 'input'),
      });
      return { executionArn: started.executionArn, startDate: seconds(started.startDate) };
    },
    DescribeExecution: (input) => describe(engine.describeExecution(requiredString(input, 'executionArn'))),
    GetExecutionHistory: (input) => {
      const page = engine.getExecutionHistory({
        executionArn: requiredString(input, 'executionArn'),
        maxResults: optionalInteger(input, 'maxResults'),
        nextToken: optionalString(input, 'nextToken'),
        reverseOrder: input.reverseOrder === true,
        includeExecutionData: input.includeExecutionData !== false,
      });
      return {
        events: page.events.map(historyEvent),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    },
    StopExecution: (input) => {
      const stopped = engine.stopExecution({
        executionArn: requiredString(input, 'executionArn'),
        error: optionalString(input, 'error'),
        cause: optionalString(input, 'cause'),
      });
      return { stopDate: seconds(stopped.stopDate) };
    },
    RedriveExecution: (input) => {
      const redriven = engine.redriveExecution({ executionArn: requiredString(input, 'executionArn') });
      return { redriveDate: seconds(redriven.redriveDate) };
    },
    ListExecutions: (input) => {
      const page = engine.listExecutions({
        stateMachineArn: requiredString(input, 'stateMachineArn'),
        statusFilter: optionalString(input, 'statusFilter'),
        maxResults: optionalInteger(input, 'maxResults'),
        nextToken: optionalString(input, 'nextToken'),
      });
      return {
        executions: page.executions.map(listed),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    },
    SendTaskSuccess: (input) =>
      engine.sendTaskSuccess({
        taskToken: requiredString(input, 'taskToken'),
        output: requiredString(input, 'output'),
      }),
    SendTaskFailure: (input) =>
      engine.sendTaskFailure({
        taskToken: requiredString(input, 'taskToken'),
        error: optionalString(input, 'error'),
        cause: optionalString(input, 'cause'),
      }),
    SendTaskHeartbeat: (input) => engine.sendTaskHeartbeat({ taskToken: requiredString(input, 'taskToken') }),
    DescribeStateMachine: (input) => {
      const arn = requiredString(input, 'stateMachineArn');
      if (arn !== engine.stateMachineArn) {
        throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
      }
      return {
        stateMachineArn: engine.stateMachineArn,
        name: engine.stateMachineName,
        status: 'ACTIVE',
        definition: JSON.stringify(engine.definition),
        roleArn: 'arn:aws:iam::000000000000:role/omnilink-local-workflow',
        type: 'STANDARD',
        creationDate: seconds(engine.createdAt),
      };
    },
  };
}

/** Creates (does not start) the local Step Functions endpoint. */
export function createStepFunctionsServer(engine: LocalStepFunctions): Server {
  return createAwsJsonServer({
    targetPrefix: 'AWSStepFunctions',
    jsonVersion: '1.0',
    actions: stepFunctionsActions(engine),
  });
}

/**
 * A small state machine for the local Step Functions' tests: a Task, an inline Map of Tasks, a Task
 * (what redrive and history tests need: a state that succeeds, iterations that may fail, a state after).
 */
export const taskMapTaskDefinition = {
  StartAt: 'First',
  States: {
    First: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { 'Payload.$': '$' },
      ResultPath: '$.first',
      Next: 'Each',
    },
    Each: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Item',
        States: { Item: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } },
      },
      ResultPath: '$.each',
      Next: 'Last',
    },
    Last: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true },
  },
};

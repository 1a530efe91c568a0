import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { OmnilinkStack } from '../../lib/omnilink-stack.ts';
import type { FunctionName } from '../../lib/specs.ts';

/** A synthesized stack, without bundling (handlers are not built in infrastructure tests). */
export interface Synthesized {
  readonly app: App;
  readonly stack: OmnilinkStack;
  readonly template: Template;
}

/** A fresh app with no bundling, the given context and the stack. */
export function buildApp(context: Record<string, unknown> = {}): { app: App; stack: OmnilinkStack } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new OmnilinkStack(app, 'Omnilink');
  return { app, stack };
}

export function synth(context: Record<string, unknown> = {}): Synthesized {
  const { app, stack } = buildApp(context);
  return { app, stack, template: Template.fromStack(stack) };
}

/** Logical id of a function of the stack. */
export const functionId = (stack: OmnilinkStack, name: FunctionName): string =>
  stack.getLogicalId(stack.functions[name].node.defaultChild as CfnFunction);

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement of the inline policies attached to a role, identified by its logical id. */
export function statementsOfRole(template: Template, roleId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy') as Resources;
  return Object.values(policies)
    .filter((policy) =>
      asArray(policy.Properties.Roles).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** Every statement that applies to a function's execution role. */
export function statementsOfFunction(synthesized: Synthesized, name: FunctionName): Statement[] {
  const fn = synthesized.template.toJSON().Resources[functionId(synthesized.stack, name)];
  const roleId: string = fn.Properties.Role['Fn::GetAtt'][0];
  return statementsOfRole(synthesized.template, roleId);
}

export const actionsOf = (statement: Statement): string[] => asArray(statement.Action);

export const resourcesOf = (statement: Statement): unknown[] => asArray(statement.Resource as unknown[]);

/** Logical id of the only resource of a type. */
export function onlyResourceId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  if (ids.length !== 1) throw new Error(`expected exactly one ${type}, found ${ids.length}`);
  return ids[0] as string;
}

/**
 * Resources of a type that belong to the HTTP API (`ApiId` = its ref): the push channel's WebSocket
 * API has authorizers, routes and a stage of the same types.
 */
export function httpApiResources(
  template: Template,
  stack: OmnilinkStack,
  type: string,
  // biome-ignore lint/suspicious/noExplicitAny: the template's own type (Template.findResources)
): Record<string, { [key: string]: any }> {
  const apiId = JSON.stringify(stack.resolve(stack.api.httpApi.apiId));
  return Object.fromEntries(
    Object.entries(template.findResources(type)).filter(
      ([, resource]) => JSON.stringify(resource.Properties?.ApiId) === apiId,
    ),
  );
}

/** Logical id of the HTTP API's only resource of a type. */
export function onlyHttpApiResourceId(template: Template, stack: OmnilinkStack, type: string): string {
  const ids = Object.keys(httpApiResources(template, stack, type));
  if (ids.length !== 1) throw new Error(`expected exactly one ${type} of the HTTP API, found ${ids.length}`);
  return ids[0] as string;
}

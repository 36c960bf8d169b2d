// Alerts for what costs money, as scheduled log queries on Application Insights. They read the app's own log lines
// (and the host's request records), which reach Application Insights whichever exporter the worker uses; the metrics
// (meter "VeoFunctions") need the OpenTelemetry exporter and are for dashboards. Each query's marker text is the
// app's log message: tests/VeoFunctions.Tests/Deployment/AlertRuleTests keeps the two the same.

@description('Azure region of the rules.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Resource id of the Application Insights component the rules query.')
param applicationInsightsId string

@description('Prefix of the rule names.')
param namePrefix string

@description('Email that receives the alerts; empty: the rules fire without notifying anyone (see them in the portal).')
param alertEmail string = ''

var rules = [
  {
    name: 'paid-and-lost'
    displayName: 'A job failed with a fal request and no video (paid and lost)'
    description: 'fal accepted the job (and may have billed it) but the job ended without its video: past the deadline without fal\'s word, fal\'s result gone before the archive, a lost submit answer, or a step that kept failing. Look the job up by its id (README: following one job).'
    severity: 1
    query: 'traces | where message has "paid and lost"'
  }
  {
    name: 'uncertain-submit'
    displayName: 'A submit to fal was uncertain'
    description: 'fal\'s answer to a submit was lost (a timeout, a 5xx after the body left): the job looks the request up rather than pay twice. Rare; many at once mean fal or the network is in trouble.'
    severity: 2
    query: 'traces | where message has "uncertain submit"'
  }
  {
    name: 'webhook-5xx'
    displayName: 'The fal webhook answered 5xx'
    description: 'fal retries a webhook only for about two hours: a failing webhook door risks deliveries (videos fall back to status polling, late ones to the salvage run).'
    severity: 1
    query: 'requests | where name == "ReceiveFalWebhook" and toint(resultCode) >= 500'
  }
  {
    name: 'budget-nearly-spent'
    displayName: 'The daily budget is nearly spent'
    description: 'Reservations and spend crossed Money:BudgetWarningFraction of Money:DailyBudgetUsd: jobs will soon be refused (402) until the next UTC day.'
    severity: 2
    query: 'traces | where message has "Daily budget nearly spent"'
  }
]

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: '${namePrefix}-oncall'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'veo-oncall'
    enabled: true
    emailReceivers: [
      {
        name: 'oncall'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource alerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: '${namePrefix}-${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        applicationInsightsId
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT5M'
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: false
      actions: {
        actionGroups: empty(alertEmail) ? [] : [
          actionGroup.id
        ]
      }
    }
  }
]

output ruleNames array = [for (rule, i) in rules: alerts[i].name]

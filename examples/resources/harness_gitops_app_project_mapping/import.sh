# org_id/project_id/agent_id/argo_project_name (the Harness project, the agent, the Argo CD project):
terraform import harness_gitops_app_project_mapping.ml default/mlplatform/account.mlagent/ml

"""Access: who may do what. Today the one authorization policy (policy.py); accounts and sessions move here
when the code is organised by area."""

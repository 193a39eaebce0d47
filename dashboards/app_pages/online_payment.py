import streamlit as st

st.title("online_payment")
